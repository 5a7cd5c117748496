from __future__ import annotations

import pytest

from pixelproof.api.durations import format_duration, parse_duration
from pixelproof.api.evaluation import TERMINATION_MESSAGE_LIMIT, EvaluationSummary, GateVerdict


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("1h30m", 5400), ("500ms", 0.5), ("1.5h", 5400)],
)
def test_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "ten minutes", "5d", "-1s"])
def test_parse_rejects_with_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_format_round_trips() -> None:
    for seconds in (0, 1, 59, 60, 3599, 3661, 0.25):
        assert parse_duration(format_duration(seconds)) == seconds


def test_termination_message_fits_whatever_the_summary() -> None:
    summary = EvaluationSummary(
        verdict="Fail",
        reason="x" * 5000,
        gates=[
            GateVerdict(
                name=f"gate-{i}", verdict="Fail", value=0.5, threshold="<= 0.25", reason="y" * 300
            )
            for i in range(40)
        ],
        scores={f"score-{i}": float(i) for i in range(200)},
        failed_items=[f"item-{i}" for i in range(500)],
    )
    text = summary.to_termination_message()
    assert len(text.encode()) <= TERMINATION_MESSAGE_LIMIT
    assert EvaluationSummary.model_validate_json(text).verdict == "Fail"
