"""Every gate's reason is true: with no outputs to judge a gate is Inconclusive and says so,
and typography scores each expected text on the line that actually reads it."""

from __future__ import annotations

from pixelproof.api.quality import QualityGates
from pixelproof_evaluator.checks.format import FormatResult
from pixelproof_evaluator.checks.text_assignment import ExpectedTextSpec, assign
from pixelproof_evaluator.checks.typography import TypographyResult
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import ExpectedText, GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import judge
from pixelproof_evaluator.ocr import TextLine
from pixelproof_evaluator.results import ItemResult, ModelResult

ALL_GATES = {
    "lpips": {"maxMean": 0.1},
    "typography": {"minPassRate": 0.9},
    "format": {"alpha": True, "size": True},
    "determinism": {"maxReplayDistance": 0.05},
    "color": {"maxDeltaE": 3.0},
    "sharpness": {"minRatio": 0.6},
}


def _item(index: int, *, alpha: bool = False, text: str | None = None) -> GoldenItem:
    spec = GoldenItemSpec(
        id=f"i{index}",
        prompt="p",
        seed=index,
        size="64x64",
        alpha=alpha,
        text=[ExpectedText(text=text, font_size=24)] if text else [],
    )
    return GoldenItem(spec, 64, 64, b"")


def _undecodable() -> ModelResult:
    body = GenerationResult(b"<html>", 100.0, 1, status=200)
    broken = FormatResult(False, "invalid PNG header", None, False, False, False)
    return ModelResult(body, replay=body, format=broken, replay_format=broken)


def _good() -> ModelResult:
    ok = GenerationResult(b"png", 100.0, 1, status=200)
    fine = FormatResult(True, None, "RGB", False, False, False)
    return ModelResult(ok, replay=ok, format=fine, replay_format=fine, lpips=0.01)


def test_every_output_undecodable_makes_each_image_gate_inconclusive_saying_why() -> None:
    items = [_item(0, alpha=True), _item(1, text="SALE"), _item(2), _item(3)]
    results = [ItemResult(item, _good(), _undecodable()) for item in items]
    judgement = judge(QualityGates.model_validate(ALL_GATES), results)
    by_name = {g.name: g for g in judgement.gates}
    for name in ("lpips", "typography", "format.alpha", "format.size", "determinism", "color"):
        assert by_name[name].verdict == "Inconclusive", (name, by_name[name].reason)
    assert by_name["sharpness"].verdict == "Inconclusive"
    assert "no golden item expects alpha" not in by_name["format.alpha"].reason
    assert "none of the 1 candidate images of items that expect alpha decoded" in (
        by_name["format.alpha"].reason
    )
    assert "generated twice" not in by_name["determinism"].reason
    assert by_name["determinism"].reason == "determinism: no candidate image decoded"
    assert "decoded" in by_name["typography"].reason
    assert by_name["sharpness"].reason == "sharpness: no candidate image decoded"
    assert judgement.verdict == "Inconclusive"


def test_replays_that_never_decode_are_named_as_such() -> None:
    results = []
    for index in range(3):
        candidate = _good()
        candidate.replay_format = FormatResult(False, "truncated", None, False, False, False)
        results.append(ItemResult(_item(index), _good(), candidate))
    gates = QualityGates.model_validate({"determinism": {"maxReplayDistance": 0.05}})
    verdict = judge(gates, results).gates[0]
    assert verdict.verdict == "Inconclusive"
    assert (
        verdict.reason == "determinism: none of the 3 candidate replays gave an image that decoded"
    )


def _line(text: str, height: float) -> TextLine:
    return TextLine(text, 0.9, 0.0, 0.0, height)


def test_a_garbled_small_line_does_not_take_the_headline_line() -> None:
    expected = [ExpectedTextSpec("SUMMER SALE", 40), ExpectedTextSpec("SUMMER SALE", 16)]
    # Read in this order the garbled small line comes first, as OCR may list it.
    lines = [_line("SUMMRE SLAE", 13.0), _line("SUMMER SALE", 32.0)]
    headline, small = assign(expected, lines, 0.2)
    assert (headline.matched, headline.cer, headline.passed) == ("summersale", 0.0, True)
    assert not small.passed


def test_the_best_overall_assignment_wins_over_largest_first() -> None:
    # The 40 px text wrapped over two lines; read on its own, the 16 px line matches the
    # 40 px text perfectly too, and taking it first would leave the 16 px text unread.
    expected = [
        ExpectedTextSpec("SUMMER SALE", 40),
        ExpectedTextSpec("SUMMER SALE", 24),
        ExpectedTextSpec("SUMMER SALE", 16),
    ]
    lines = [
        _line("SUMMER", 31.0),
        _line("SALE", 32.0),
        _line("SOMMER", 17.0),
        _line("SALE", 19.0),
        _line("SUMMERSALE", 14.0),
    ]
    scores = assign(expected, lines, 0.2)
    assert [s.passed for s in scores] == [True, True, True]
    assert scores[0].cer == 0.0 and scores[2].cer == 0.0
    assert scores[1].cer == 0.1


def test_more_texts_than_lines_leave_the_rest_unread() -> None:
    expected = [ExpectedTextSpec("OPEN", 40), ExpectedTextSpec("CLOSED", 24)]
    scores = assign(expected, [_line("OPEN", 32.0)], 0.2)
    assert scores[0].passed and scores[0].matched == "open"
    assert (scores[1].matched, scores[1].cer, scores[1].passed) == ("", 1.0, False)


def test_texts_without_a_font_size_are_reported_as_such() -> None:
    item = GoldenItem(
        GoldenItemSpec(
            id="sign", prompt="p", seed=1, size="64x64", text=[ExpectedText(text="OPEN")]
        ),
        64,
        64,
        b"",
    )
    candidate = _good()
    texts = assign([ExpectedTextSpec("OPEN", None)], [_line("OPEN", 20.0)], 0.2)
    candidate.typography = TypographyResult(["OPEN"], texts)
    gates = QualityGates.model_validate({"typography": {"minPassRate": 0.9}})
    judgement = judge(gates, [ItemResult(item, _good(), candidate)])
    verdict = judgement.gates[0]
    assert verdict.verdict == "Pass"
    assert "no font size 1/1" in verdict.reason
    assert "any" not in verdict.reason
    assert judgement.scores["typographyPassRate.noFontSize"] == 1.0
