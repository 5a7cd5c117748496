"""A gate's bounds: the threshold text, the breach judged and the effective limits agree."""

from __future__ import annotations

from typing import Any

import pytest

from pixelproof.api.metrics import MetricGate
from pixelproof.engine.gate_bounds import bounds_of


@pytest.mark.parametrize(
    ("fields", "text", "value", "stable", "breach", "effective"),
    [
        ({"max": 0.05}, "<= 0.05", 0.06, None, "0.06 > max 0.05", [("upper", 0.05)]),
        ({"min": 0.9}, ">= 0.9", 0.95, None, None, [("lower", 0.9)]),
        (
            {"relativeToStable": {"maxRatio": 1.1}},
            "<= 1.1 x stable",
            1.3,
            1.0,
            "1.3 > 1.1 x stable 1",
            [("upper", 1.1)],
        ),
        (
            {"relativeToStable": {"maxRatio": 1.2, "minDifference": 0.5}},
            "<= 1.2 x stable (or within 0.5 of stable)",
            1.45,
            1.0,
            None,
            [("upper", 1.5)],
        ),
        (
            {"max": 2.0, "relativeToStable": {"minRatio": 0.5, "maxRatio": 1.5}},
            "<= 2 and >= 0.5 x stable and <= 1.5 x stable",
            0.4,
            1.0,
            "0.4 < 0.5 x stable 1",
            [("lower", 0.5), ("upper", 1.5)],
        ),
        (
            {"relativeToStable": {"maxRatio": 1.1}},
            "<= 1.1 x stable",
            5.0,
            None,
            None,
            [],
        ),
    ],
)
def test_bounds_read_the_same_everywhere(
    fields: dict[str, Any],
    text: str,
    value: float,
    stable: float | None,
    breach: str | None,
    effective: list[tuple[str, float]],
) -> None:
    bounds = bounds_of(MetricGate.model_validate({"name": "g", "query": "q", **fields}))
    assert bounds.threshold_text() == text
    assert bounds.breach(value, stable) == breach
    found = bounds.effective(stable)
    assert [side for side, _ in found] == [side for side, _ in effective]
    assert [limit for _, limit in found] == pytest.approx([limit for _, limit in effective])
