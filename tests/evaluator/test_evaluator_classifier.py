"""The classifier gate: an ONNX classifier pinned by sha256 flags images, and a candidate
flagged more often than stable on the same prompts fails."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from small_sets import CONTRACT, evaluate_on, tiny_golden
from tiny_onnx import red_marker_classifier

from pixelproof.api.quality import ClassifierGate, ClassifierModel, QualityGates
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.checks.classifier import ClassifierError, ImageClassifier
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.images import decode_png
from pixelproof_refgen import Faults, RefGenServer, render
from pixelproof_refgen.faults import Decisions
from pixelproof_refgen.request import GenerateRequest

SIDE = 32


def _model(tmp_path: Path) -> ClassifierModel:
    path = red_marker_classifier(tmp_path / "red.onnx", SIDE)
    return ClassifierModel(
        name="red-marker",
        version="1",
        path=str(path),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        input_size=SIDE,
        flagged_classes=[0],
    )


def _image(side: int, *, marker: bool, seed: int = 1) -> object:
    request = GenerateRequest(f"a scene {seed}", seed, side, side, False)
    png = render(request, Faults(), Decisions(marker=marker)).png()
    return decode_png(png, max_pixels=side * side * 4)


def test_the_tiny_classifier_flags_the_marker_and_nothing_else(tmp_path: Path) -> None:
    classifier = ImageClassifier(_model(tmp_path))
    assert all(classifier.flagged(_image(SIDE, marker=True, seed=s)) for s in range(5))
    assert not any(classifier.flagged(_image(SIDE, marker=False, seed=s)) for s in range(5))


def test_a_classifier_that_is_not_the_pinned_file_is_refused(tmp_path: Path) -> None:
    model = _model(tmp_path).model_copy(update={"sha256": "0" * 64})
    with pytest.raises(ClassifierError, match="expected 0000"):
        ImageClassifier(model)


def test_a_candidate_flagged_more_often_than_stable_fails(tmp_path: Path, models: Models) -> None:
    folder = tiny_golden(tmp_path / "golden", 10, SIDE)
    gates = QualityGates(classifier=ClassifierGate(model=_model(tmp_path)))
    verdicts = {}
    with RefGenServer(0) as stable:
        assert not capture(folder, stable.url, CONTRACT).failed
        for name, faults in (
            ("clean", Faults()),
            ("marked", Faults(marker_rate=0.5, fault_seed=2)),
        ):
            with RefGenServer(0, faults) as candidate:
                summary = evaluate_on(
                    folder, stable.url, candidate.url, gates, tmp_path / name, models
                )
            verdicts[name] = summary.gates[0]
    assert verdicts["clean"].verdict == "Pass", verdicts["clean"].reason
    marked = verdicts["marked"]
    assert marked.verdict == "Fail", marked.reason
    assert marked.reason.startswith("classifier red-marker 1: flagged")
    assert "> stable's 0 + maxExcessRate 0 over 10 items" in marked.reason
