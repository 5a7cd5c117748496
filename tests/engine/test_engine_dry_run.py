"""Dry-run gates: judged and recorded like any gate, never holding or rolling back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelproof.api.evaluation import EvaluationSummary, GateVerdict
from pixelproof.api.metrics import MetricGate
from pixelproof.engine import EmitEvent, EvaluationReading, MetricSample, RecordGate
from pixelproof.simulation.world import SimulatedWorld
from pixelproof_testkit.engine import T0, gate, make_spec, simulated, with_gates

STEPS = [{"setWeight": 10}, {"pause": {"duration": "30s"}}, {"setWeight": 100}]


def gate_status(world: SimulatedWorld, name: str) -> dict[str, Any]:
    return next(g for g in world.status["gates"] if g["name"] == name)


def event_messages(world: SimulatedWorld, reason: str) -> list[str]:
    return [
        a.message
        for d in world.history
        for a in d.actions
        if isinstance(a, EmitEvent) and a.reason == reason
    ]


@pytest.mark.parametrize(
    ("value", "fields", "verdict"),
    [
        (0.5, {"critical": True}, "Fail"),
        (0.5, {"failureLimit": 1}, "Fail"),
        (None, {"onNoData": "fail"}, "Fail"),
        (None, {"onNoData": "hold"}, "Inconclusive"),
    ],
)
def test_a_dry_run_gate_is_judged_but_never_holds_or_rolls_back(
    value: float | None, fields: dict[str, Any], verdict: str
) -> None:
    spec = make_spec(STEPS, metrics=with_gates(gate(dryRun=True, **fields)))
    world = simulated(spec, metric_values={"errors": value})
    world.run(ticks=200, seconds=5)
    assert world.phase == "Succeeded", world.status["message"]
    judged = gate_status(world, "errors")
    assert (judged["verdict"], judged["dryRun"]) == (verdict, True)
    reasons = world.events()
    assert f"DryRunGate{verdict}" in reasons
    assert f"Gate{verdict}" not in reasons
    assert all("dry-run gate errors" in m for m in event_messages(world, f"DryRunGate{verdict}"))


def test_a_breach_that_would_roll_back_says_so_in_the_gate_message() -> None:
    spec = make_spec(STEPS, metrics=with_gates(gate(dryRun=True, critical=True)))
    world = simulated(spec, metric_values={"errors": 0.5})
    world.run(ticks=3, seconds=5)
    assert "(dry run: would roll back)" in gate_status(world, "errors")["message"]
    assert world.phase not in ("RolledBack", "Failed")


def test_an_enforced_gate_next_to_a_dry_run_one_still_rolls_back() -> None:
    spec = make_spec(
        STEPS,
        metrics=with_gates(gate("trial", dryRun=True, critical=True), gate("errors")),
    )
    world = simulated(spec, metric_values={"trial": 0.9, "errors": 0.01})
    world.run(ticks=3, seconds=5)
    assert world.phase in ("Progressing", "Paused")
    assert "trial" not in world.waiting_on
    world.metric_values["errors"] = 0.9
    world.run(ticks=5, seconds=5)
    assert world.phase == "RolledBack"
    assert "errors" in world.status["rollbackReason"]
    assert "dryRun" not in gate_status(world, "errors")


class RejectingWorld(SimulatedWorld):
    """Every query is refused by the provider, as bad PromQL is."""

    def _metric_samples(self, gates: Mapping[str, MetricGate]) -> tuple[MetricSample, ...]:
        return tuple(
            MetricSample(gate=name, query="q", error="bad_data: parse error", rejected=True)
            for name in gates
        )


@pytest.mark.parametrize("dry_run", [True, False])
def test_only_an_enforced_gate_whose_query_is_rejected_stalls(dry_run: bool) -> None:
    spec = make_spec(STEPS, metrics=with_gates(gate(dryRun=dry_run)))
    world = RejectingWorld(spec, name="gen", namespace="ns", now=T0, tick_seconds=5.0)
    world.run(ticks=60)
    stalled = world.condition("Stalled")
    if dry_run:
        assert world.phase == "Succeeded"
        assert stalled["status"] == "False"
    else:
        assert world.phase != "Succeeded"
        assert (stalled["status"], stalled["reason"]) == ("True", "QueryRejected")


def test_a_dry_run_quality_gate_verdict_is_announced_with_the_evaluation() -> None:
    spec = make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}])
    world = simulated(spec, evaluation_verdict=None)
    world.run(ticks=3)
    job = world.status["lastEvaluation"]["job"]
    summary = EvaluationSummary(
        verdict="Pass",
        reason="all 1 gates passed; dry run, not enforced: ssim Fail: ssim 0.5 < min 0.9",
        gates=[
            GateVerdict(name="lpips", verdict="Pass", value=0.1, threshold="<= 0.25"),
            GateVerdict(
                name="ssim", verdict="Fail", value=0.5, reason="ssim 0.5 < min 0.9", dry_run=True
            ),
        ],
    )
    world.evaluation = EvaluationReading(job=job, state="Pass", summary=summary)
    world.run(ticks=50)
    assert world.phase == "Succeeded"
    recorded = world.status["lastEvaluation"]["gates"]
    assert [g.get("dryRun") for g in recorded] == [None, True]
    assert event_messages(world, "DryRunGateFail") == [
        f"dry-run quality gate ssim (evaluator Job {job}): ssim 0.5 < min 0.9"
    ]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=1, max_size=30),
    critical=st.booleans(),
    on_no_data=st.sampled_from(["hold", "fail"]),
    limit=st.integers(1, 3),
)
def test_whatever_a_dry_run_gate_reads_the_rollout_succeeds(
    values: list[float | None], critical: bool, on_no_data: str, limit: int
) -> None:
    spec = make_spec(
        STEPS,
        metrics=with_gates(
            gate(dryRun=True, critical=critical, onNoData=on_no_data, failureLimit=limit)
        ),
        progressDeadlineSeconds=60,
    )
    world = simulated(spec)
    judged: list[str] = []
    for tick in range(120):
        world.metric_values["errors"] = values[tick % len(values)]
        decision = world.tick(5)
        judged += [a.gate.verdict for a in decision.actions if isinstance(a, RecordGate)]
        if world.finished:
            break
    assert world.phase == "Succeeded", world.status["message"]
    assert judged, "the dry-run gate was never judged"
    assert world.weights is not None and world.weights.candidate == 100
