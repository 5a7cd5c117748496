"""A review step judges how close a quality gate came to its limit by the verdict's
structured `limit`; a verdict written before that field existed is still read from its
threshold text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pixelproof.api.status import Weights
from pixelproof.engine import parse_spec
from pixelproof.engine.revision import revision_of
from pixelproof_testkit.engine import make_spec
from pixelproof_testkit.windows import Drive

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOISE_FLOOR = "lpips mean <= 3 x noise floor 0.01 = 0.03"


def _spec() -> dict[str, Any]:
    return make_spec(
        [
            {"setWeight": 10},
            {"evaluate": {}},
            {"review": {"onlyWhenWithin": {"margin": 0.1}}},
            {"setWeight": 50},
        ],
        progressDeadlineSeconds=60,
    )


def _status(verdict: dict[str, Any]) -> dict[str, Any]:
    spec = parse_spec(_spec()).model
    assert spec is not None
    return {
        "revision": revision_of(spec),
        "phase": "Progressing",
        "currentStep": 2,
        "weights": {"stable": 90, "candidate": 10},
        "trafficShifted": True,
        "stepStartedAt": "2026-12-01T08:59:00Z",
        "lastEvaluation": {
            "step": 1,
            "job": "gen-eval-1",
            "state": "Pass",
            "startedAt": "2026-12-01T08:50:00Z",
            "gates": [verdict],
        },
    }


def _reviewed(verdict: dict[str, Any]) -> bool:
    drive = Drive(_spec(), status=_status(verdict), router=Weights(stable=90, candidate=10))
    drive.decide(T)
    return bool(drive.status["phase"] == "Paused")


@pytest.mark.parametrize(("value", "borderline"), [(0.029, True), (0.02, False), (0.003, False)])
def test_a_noise_floor_gate_is_borderline_near_its_computed_limit(
    value: float, borderline: bool
) -> None:
    verdict = {
        "name": "lpips.noiseFloor",
        "verdict": "Pass",
        "value": value,
        "threshold": NOISE_FLOOR,
        "limit": 0.03,
        "comparison": "<=",
    }
    assert _reviewed(verdict) is borderline


def test_a_verdict_without_a_limit_is_read_from_its_threshold_text() -> None:
    legacy = {"name": "lpips", "verdict": "Pass", "value": 0.24, "threshold": "<= 0.25"}
    assert _reviewed(legacy)
    assert not _reviewed({**legacy, "value": 0.1})
