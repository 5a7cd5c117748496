"""The report puts failing items first, flags them on their images, and reads on a phone."""

from __future__ import annotations

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof_evaluator.checks.format import SizeResult
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.report import render_html, worst_first
from pixelproof_evaluator.results import ItemResult, ModelResult

OK = GenerationResult(b"png", 10.0, 1, status=200)


def _result(item_id: str, lpips: float, size: SizeResult | None = None) -> ItemResult:
    spec = GoldenItemSpec(id=item_id, prompt="p", seed=1, size="64x64")
    return ItemResult(
        GoldenItem(spec, 64, 64, b""), ModelResult(OK), ModelResult(OK, lpips=lpips, size=size)
    )


def test_failed_items_come_first_then_the_worst_lpips() -> None:
    stretched = _result("stretched", 0.01, SizeResult(80, 64, 64, 64))
    results = [_result("fine", 0.02), stretched, _result("drifted", 0.2)]
    ordered = worst_first(results, {"stretched"})
    assert [r.item.id for r in ordered] == ["stretched", "drifted", "fine"]
    summary = EvaluationSummary(verdict="Fail", items=3, failed_items=["stretched"])
    html = render_html(summary, results, {})
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.index('id="stretched"') < html.index('id="drifted"') < html.index('id="fine"')
    assert "failed: wrong size and aspect ratio: got 80x64, requested 64x64" in html


def test_the_header_says_when_gates_are_uncalibrated_and_the_backbone_is_random() -> None:
    summary = EvaluationSummary(verdict="Pass", items=1, backbone="alex-random")
    note = "uncalibrated: the golden set has no calibration.json; gates use absolute thresholds"
    html = render_html(summary, [_result("fine", 0.0)], {"calibration": note})
    assert "seeded random AlexNet backbone" in html
    assert f"Gates: {note}" in html
