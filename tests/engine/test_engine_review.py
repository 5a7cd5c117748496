"""The review step: a person promotes or aborts with the evidence in hand, a deadline
ends the wait, and only borderline rollouts stop when the step says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pixelproof.api.commands import command_applies
from pixelproof.api.status import Weights
from pixelproof.engine import MetricSample, Notify, parse_spec
from pixelproof.engine.revision import revision_of
from pixelproof_testkit.engine import gate, make_spec, with_gates
from pixelproof_testkit.windows import Drive

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WEBHOOK = {"webhook": {"url": "https://hooks.example/T000"}}


def reviewed(review: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return make_spec(
        [{"setWeight": 10}, {"evaluate": {}}, {"review": review}, {"setWeight": 50}],
        notifications=WEBHOOK,
        progressDeadlineSeconds=60,
        **extra,
    )


def evaluated(
    value: float,
    threshold: str = "<= 0.25",
    verdict: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Status at the review step, after an evaluation that passed with this lpips value;
    `verdict` adds fields to the lpips gate's verdict."""
    spec = parse_spec(reviewed({}, **extra)).model
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
            "gates": [
                {
                    "name": "lpips",
                    "verdict": "Pass",
                    "value": value,
                    "threshold": threshold,
                    **(verdict or {}),
                }
            ],
            "scores": {"lpipsMean": value},
            "report": "s3://reports/gen/1/report.html",
        },
    }


def at_review(review: dict[str, Any], value: float = 0.08, **extra: Any) -> Drive:
    from pixelproof.api.status import Weights

    return Drive(
        reviewed(review, **extra), status=evaluated(value), router=Weights(stable=90, candidate=10)
    )


def test_a_review_pauses_notifies_and_records_who_promoted() -> None:
    drive = at_review({})
    decision = drive.decide(T)
    status = drive.status
    assert status["phase"] == "Paused" and status["currentStep"] == 2
    assert status["waitingOn"] == (
        "review: kubectl pixelproof promote gen -n ns or kubectl pixelproof abort gen -n ns"
    )
    assert status["review"] == {
        "step": 2,
        "requestedAt": "2026-12-01T09:00:00.000000Z",
        "borderline": [],
    }
    assert Notify("Review", "review at step 3 (review required)") in decision.actions
    assert "ReviewRequested" in drive.reasons()
    later = drive.decide(T + timedelta(hours=30))
    assert drive.status["phase"] == "Paused" and "holdingSince" not in drive.status
    assert not any(isinstance(a, Notify) for a in later.actions), "one notification per review"
    drive.decide(
        T + timedelta(hours=31), commands={"promote": "p1"}, promoted_by="alice@example.com"
    )
    review = drive.status["review"]
    assert review["decision"] == "promoted" and review["decidedBy"] == "alice@example.com"
    assert review["decidedAt"] == "2026-12-02T16:00:00.000000Z"
    assert "ReviewPromoted" in drive.reasons()
    assert drive.candidate == 50 and drive.status["currentStep"] == 3


def test_without_a_writer_the_promotion_is_recorded_as_unknown() -> None:
    drive = at_review({})
    drive.decide(T)
    drive.decide(T + timedelta(minutes=1), commands={"promote": "p1"})
    assert drive.status["review"]["decidedBy"] == "unknown"


@pytest.mark.parametrize(
    ("on_deadline", "phase", "decision"),
    [("abort", "RolledBack", "aborted"), ("promote", "Progressing", "promoted")],
)
def test_the_deadline_ends_the_review(on_deadline: str, phase: str, decision: str) -> None:
    drive = at_review({"deadline": "4h", "onDeadline": on_deadline})
    drive.decide(T)
    assert drive.status["review"]["deadlineAt"] == "2026-12-01T13:00:00.000000Z"
    assert drive.status["waitingOn"].endswith(", deadline 2026-12-01T13:00:00.000000Z")
    drive.decide(T + timedelta(hours=3, minutes=59))
    assert drive.status["phase"] == "Paused"
    drive.decide(T + timedelta(hours=4))
    assert drive.status["phase"] == phase
    assert drive.status["review"]["decision"] == decision
    assert drive.status["review"]["decidedBy"] == "deadline"
    if phase == "RolledBack":
        assert drive.status["rollbackCause"] == "Aborted" and drive.router.candidate == 0
        assert "no decision by 2026-12-01T13:00:00.000000Z" in drive.status["rollbackReason"]
    else:
        assert drive.candidate == 50


def test_abort_during_a_review_rolls_back() -> None:
    drive = at_review({})
    drive.decide(T)
    drive.decide(T + timedelta(minutes=5), commands={"abort": "a1"})
    assert drive.status["phase"] == "RolledBack" and drive.router.candidate == 0


@pytest.mark.parametrize(
    ("value", "threshold", "borderline"),
    [
        (0.24, "<= 0.25", True),
        (0.226, "<= 0.25", True),
        (0.22, "<= 0.25", False),
        (0.08, "<= 0.25", False),
        (0.95, "passRate >= 0.9", True),
        (1.0, "passRate >= 0.9", False),
    ],
)
def test_only_borderline_quality_gates_ask_for_a_review(
    value: float, threshold: str, borderline: bool
) -> None:
    drive = Drive(
        reviewed({"onlyWhenWithin": {"margin": 0.1}}),
        status=evaluated(value, threshold),
        router=Weights(stable=90, candidate=10),
    )
    drive.decide(T)
    if borderline:
        assert drive.status["phase"] == "Paused"
        assert drive.status["review"]["borderline"] == [f"lpips {value:g} (threshold {threshold})"]
        assert "borderline: lpips" in drive.decisions[-1].actions[0].message  # type: ignore[union-attr]
    else:
        assert drive.status["currentStep"] == 3 and drive.candidate == 50
        assert "ReviewSkipped" in drive.reasons()
        skipped = [
            a for a in drive.decisions[-1].actions if getattr(a, "reason", "") == "ReviewSkipped"
        ]
        assert skipped[0].message == "review at step 3 skipped: no gate within 10% of its threshold"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("value", "borderline"), [(0.029, True), (0.02, False), (0.003, False)])
def test_a_noise_floor_gate_is_borderline_near_its_structured_limit(
    value: float, borderline: bool
) -> None:
    """The threshold text's first number is the multiple (3); the verdict's limit is what the
    value was held against."""
    threshold = "lpips mean <= 3 x noise floor 0.01 = 0.03"
    status = evaluated(value, threshold, {"limit": 0.03, "comparison": "<="})
    drive = Drive(
        reviewed({"onlyWhenWithin": {"margin": 0.1}}),
        status=status,
        router=Weights(stable=90, candidate=10),
    )
    drive.decide(T)
    assert (drive.status["phase"] == "Paused") is borderline


def test_a_metric_gate_close_to_its_threshold_asks_for_a_review() -> None:
    drive = at_review({"onlyWhenWithin": {"margin": 0.1}}, metrics=with_gates(gate()))
    drive.decide(T, metrics=(MetricSample("errors", "q", 0.048),))
    assert drive.status["phase"] == "Paused"
    assert drive.status["review"]["borderline"] == ["metric errors 0.048 (threshold <= 0.05)"]
    calm = at_review({"onlyWhenWithin": {"margin": 0.1}}, metrics=with_gates(gate()))
    calm.decide(T, metrics=(MetricSample("errors", "q", 0.01),))
    assert calm.status["currentStep"] == 3


def test_promote_applies_to_a_review_step() -> None:
    assert command_applies("Paused", "review", "promote").applies
    assert not command_applies("Progressing", "setWeight", "promote").applies
