"""When a rollout whose decision changed nothing next needs deciding, if nothing it reads
changes: the deadlines the engine judges from the clock, and `now` for what it does not
model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pixelproof.engine import parse_spec
from pixelproof.engine.observations import CampaignFreeze, Observations
from pixelproof.engine.spec import ParsedSpec
from pixelproof.engine.timefmt import format_time
from pixelproof.engine.wakeup import next_wakeup
from pixelproof_testkit.engine import T0, gate, make_spec, with_gates

STAMP = format_time(T0)


def parsed(steps: list[dict[str, Any]], **extra: Any) -> ParsedSpec:
    spec = parse_spec(make_spec(steps, **extra))
    assert spec.model is not None, spec.problem
    return spec


def wake(spec: ParsedSpec, obs: Observations | None = None, **status: Any) -> Any:
    return next_wakeup(spec, status, obs or Observations(), T0 + timedelta(seconds=1))


def test_a_set_weight_step_and_a_finished_rollout_wait_only_for_changes() -> None:
    spec = parsed([{"setWeight": 10}, {"pause": {}}])
    assert wake(spec, phase="Progressing", currentStep=0) is None
    assert wake(spec, phase="Paused", currentStep=1) is None
    assert wake(spec, phase="Succeeded", currentStep=2) is None
    assert wake(parse_spec({"steps": []})) is None


def test_a_timed_pause_wakes_when_it_ends() -> None:
    spec = parsed([{"pause": {"duration": "30s"}}])
    assert wake(spec, phase="Paused", currentStep=0, stepStartedAt=STAMP) == T0 + timedelta(
        seconds=30
    )


def test_a_hold_wakes_at_the_progress_deadline() -> None:
    spec = parsed([{"setWeight": 10}], progressDeadlineSeconds=120)
    found = wake(spec, phase="Pending", currentStep=0, holdingSince=STAMP)
    assert found == T0 + timedelta(seconds=120)


def test_a_review_wakes_at_its_deadline() -> None:
    spec = parsed([{"review": {"deadline": "10m"}}])
    deadline = format_time(T0 + timedelta(seconds=600))
    found = wake(spec, phase="Paused", currentStep=0, review={"step": 0, "deadlineAt": deadline})
    assert found == T0 + timedelta(seconds=600)


def test_what_is_judged_from_the_clock_otherwise_is_decided_every_pass() -> None:
    now = T0 + timedelta(seconds=1)
    evaluated = parsed([{"evaluate": {}}])
    assert wake(evaluated, phase="Progressing", lastEvaluation={"state": "Running"}) == now
    gated = parsed([{"setWeight": 10}], metrics=with_gates(gate()))
    assert wake(gated, phase="Progressing", currentStep=0) == now
    windowed = parsed([{"setWeight": 10}], changeWindows={"freezes": []})
    assert wake(windowed, phase="Succeeded") == now
    frozen = Observations(freezes=(CampaignFreeze("imagegen/freeze", T0, None),))
    assert wake(parsed([{"setWeight": 10}]), frozen, phase="Progressing") == now
