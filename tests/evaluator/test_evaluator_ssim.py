"""SSIM and MS-SSIM: a weight-free second perceptual opinion beside LPIPS."""

from __future__ import annotations

import pytest

from pixelproof.api.quality import QualityGates, SsimGate
from pixelproof_evaluator.checks.ssim import gate_similarity
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.images import decode_png
from pixelproof_evaluator.judge import judge
from pixelproof_evaluator.results import ItemResult, ModelResult
from pixelproof_refgen import Faults, render
from pixelproof_refgen.request import GenerateRequest

# The evaluator extra installs it; the import is lazy, so without it only these tests skip.
pytest.importorskip("pytorch_msssim")


def _image(side: int, **faults: float) -> object:
    request = GenerateRequest("a scene", 3, side, side, False)
    return decode_png(render(request, Faults(**faults)).png(), max_pixels=side * side * 4)


@pytest.mark.parametrize("multiscale", [False, True])
def test_identical_scores_one_and_a_blur_scores_lower(multiscale: bool) -> None:
    gate = SsimGate(min_mean=0.9, multiscale=multiscale)
    reference = _image(192)
    same = gate_similarity(gate, _image(192), reference)
    blurred = gate_similarity(gate, _image(192, blur=1.5), reference)
    assert same is not None and abs(same - 1.0) < 1e-6
    assert blurred is not None and blurred < same - 0.01


def test_the_gate_fails_a_blurred_candidate_and_names_stable() -> None:
    gate = SsimGate(min_mean=0.9)
    reference = _image(96)
    item = GoldenItem(GoldenItemSpec(id="s", prompt="a scene", seed=3, size="96x96"), 96, 96, b"")
    ok = GenerationResult(b"png", 10.0, 1, status=200)
    result = ItemResult(
        item,
        ModelResult(ok, ssim=gate_similarity(gate, _image(96), reference)),
        ModelResult(ok, ssim=gate_similarity(gate, _image(96, blur=1.5), reference)),
    )
    verdict = judge(QualityGates(ssim=gate), [result]).gates[0]
    assert verdict.name == "ssim" and verdict.verdict == "Fail"
    assert "(stable 1)" in verdict.reason and "< minMean 0.9" in verdict.reason


def test_ms_ssim_on_small_images_is_inconclusive_saying_why() -> None:
    item = GoldenItem(GoldenItemSpec(id="s", prompt="a", seed=1, size="64x64"), 64, 64, b"")
    ok = GenerationResult(b"png", 10.0, 1, status=200)
    gates = QualityGates(ssim=SsimGate(min_mean=0.9, multiscale=True))
    verdict = judge(gates, [ItemResult(item, ModelResult(ok), ModelResult(ok))]).gates[0]
    assert verdict.verdict == "Inconclusive"
    assert "too small for MS-SSIM" in verdict.reason
    assert gate_similarity(gates.ssim, _image(64), _image(64)) is None
