"""Metric gate judgement: limits, critical gates, missing data and provider errors."""

from __future__ import annotations

from pixelproof.api.status import Weights
from pixelproof.engine import RecordGate
from pixelproof.simulation.world import SimulatedWorld
from pixelproof_testkit.engine import gate, make_spec, simulated, with_gates

STEPS = [{"setWeight": 10}, {"pause": {"duration": "1m"}}, {"setWeight": 100}]


def gate_status(world: SimulatedWorld, name: str) -> dict:  # type: ignore[type-arg]
    return next(g for g in world.status["gates"] if g["name"] == name)


def test_gates_start_only_after_traffic_shift_and_block_promotion_until_pass() -> None:
    world = simulated(make_spec(STEPS, metrics=with_gates(gate())))
    world.run(ticks=30, seconds=5)
    assert world.status["currentStep"] == 1
    assert world.phase == "Progressing"
    assert world.weights == Weights(stable=90, candidate=10)
    assert "gate errors Pending" in world.status["waitingOn"]
    world.metric_values["errors"] = 0.01
    world.run(ticks=100, seconds=5)
    assert world.phase == "Succeeded"
    assert gate_status(world, "errors")["verdict"] == "Pass"


def test_failure_limit_counts_consecutive_breaches() -> None:
    world = simulated(
        make_spec(STEPS, metrics=with_gates(gate(failureLimit=3))), metric_values={"errors": 0.01}
    )
    world.run(ticks=3)
    world.metric_values["errors"] = 0.5
    world.tick()
    world.tick()
    assert world.phase != "RolledBack"
    assert gate_status(world, "errors")["consecutiveBreaches"] == 2
    world.metric_values["errors"] = 0.01
    world.tick()
    assert gate_status(world, "errors")["consecutiveBreaches"] == 0
    world.metric_values["errors"] = 0.5
    for _ in range(3):
        world.tick()
    assert world.phase == "RolledBack"
    assert world.weights == Weights(stable=100, candidate=0)
    message = world.status["rollbackReason"]
    assert "errors" in message and "0.5" in message and "<= 0.05" in message


def test_critical_gate_rolls_back_on_first_breach() -> None:
    world = simulated(
        make_spec(STEPS, metrics=with_gates(gate(failureLimit=5, critical=True))),
        metric_values={"errors": 0.01},
    )
    world.run(ticks=3)
    world.metric_values["errors"] = 0.06
    world.tick()
    assert world.phase == "RolledBack"


def test_no_data_hold_never_promotes_and_fails_at_deadline() -> None:
    world = simulated(
        make_spec(STEPS, metrics=with_gates(gate()), progressDeadlineSeconds=120),
        metric_values={"errors": None},
    )
    world.run(ticks=100, seconds=5)
    assert world.phase == "Failed"
    assert max(w.candidate for w in [world.weights]) == 0
    assert all(
        a.gate.verdict == "Inconclusive"
        for d in world.history
        for a in d.actions
        if isinstance(a, RecordGate)
    )


def test_no_data_fail_policy_counts_as_breach() -> None:
    world = simulated(
        make_spec(STEPS, metrics=with_gates(gate(onNoData="fail"))), metric_values={"errors": None}
    )
    world.run(ticks=5)
    assert world.phase == "RolledBack"
    assert "no data" in world.status["rollbackReason"]


def test_provider_errors_hold_until_data_returns() -> None:
    world = simulated(
        make_spec(STEPS, metrics=with_gates(gate())), metric_errors={"errors": "connection refused"}
    )
    world.run(ticks=20, seconds=5)
    assert world.phase == "Progressing"
    assert gate_status(world, "errors")["consecutiveErrors"] >= 15
    assert world.weights == Weights(stable=90, candidate=10)
    world.metric_errors.clear()
    world.metric_values["errors"] = 0.0
    world.run(ticks=100, seconds=5)
    assert world.phase == "Succeeded"


def test_consecutive_error_limit_fails_the_gate() -> None:
    world = simulated(
        make_spec(STEPS, metrics=with_gates(gate(maxConsecutiveErrors=3))),
        metric_errors={"errors": "connection refused"},
    )
    world.run(ticks=10)
    assert world.phase == "RolledBack"
    assert "connection refused" in world.status["rollbackReason"]


def test_relative_gate_shows_both_values() -> None:
    relative = {
        "name": "p95",
        "query": 'p95{service="{{target.service}}"}',
        "relativeToStable": {"maxRatio": 1.1},
    }
    world = simulated(make_spec(STEPS, metrics=with_gates(relative)), metric_values={"p95": 1.05})
    world.run(ticks=3)
    status = gate_status(world, "p95")
    assert status["verdict"] == "Pass"
    assert status["stableValue"] == 1.0 and status["value"] == 1.05
    assert status["threshold"] == "<= 1.1 x stable"
    world.metric_values["p95"] = 1.3
    world.tick()
    assert world.phase == "RolledBack"
    assert "stable 1" in world.status["rollbackReason"]


def test_rejected_query_is_stalled_with_provider_message() -> None:
    from pixelproof.engine import MetricSample, Observations

    world = simulated(make_spec(STEPS, metrics=with_gates(gate())), metric_values={"errors": 0.0})
    world.run(ticks=2)
    original = world.observe

    def rejected() -> Observations:
        obs = original()
        sample = MetricSample(
            gate="errors",
            query="sum(rate(",
            error="bad_data: 1:10: parse error: unclosed left parenthesis",
            rejected=True,
        )
        return Observations(
            generation=obs.generation, router=obs.router, candidate=obs.candidate, metrics=(sample,)
        )

    world.observe = rejected  # type: ignore[method-assign]
    world.tick()
    stalled = world.condition("Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "QueryRejected"
    assert "unclosed left parenthesis" in gate_status(world, "errors")["message"]


def test_gates_stop_after_completion() -> None:
    world = simulated(
        make_spec([{"setWeight": 100}], metrics=with_gates(gate())), metric_values={"errors": 0.0}
    )
    world.run()
    assert world.phase == "Succeeded"
    world.metric_values["errors"] = 0.9
    world.tick()
    assert world.phase == "Succeeded"


def test_relative_gate_ignores_differences_under_its_floor() -> None:
    relative = {
        "name": "p50",
        "query": 'p50{service="{{target.service}}"}',
        "relativeToStable": {"maxRatio": 1.2, "minDifference": 0.5},
        "failureLimit": 1,
    }
    # 1.45 is above 1.2 x stable (1.0) but within 0.5 of it: not a breach.
    world = simulated(make_spec(STEPS, metrics=with_gates(relative)), metric_values={"p50": 1.45})
    world.run(ticks=3)
    assert gate_status(world, "p50")["verdict"] == "Pass"
    assert gate_status(world, "p50")["threshold"] == "<= 1.2 x stable (or within 0.5 of stable)"
    world.metric_values["p50"] = 1.6
    world.tick()
    assert world.phase == "RolledBack"


def test_too_few_requests_hold_the_gate_and_keep_its_breaches() -> None:
    counted = gate(
        failureLimit=2, minRequests=10, requestsQuery="sum(increase(requests_total[1m]))"
    )
    world = simulated(
        make_spec(STEPS, metrics=with_gates(counted)),
        metric_values={"errors": 0.5},
        metric_requests={"errors": 12},
    )
    world.run(ticks=3, seconds=10)
    assert gate_status(world, "errors")["consecutiveBreaches"] == 1
    # The window slides past a lull: three requests are not judged, for or against.
    world.metric_requests["errors"] = 3
    world.run(ticks=3, seconds=10)
    status = gate_status(world, "errors")
    assert world.phase == "Paused" and world.status["currentStep"] == 1
    assert status["verdict"] == "Inconclusive" and status["consecutiveBreaches"] == 1
    assert status["message"] == "3 candidate requests in the window, fewer than minRequests 10"
    # Past the pause's minute, the hold is the gate's.
    world.run(ticks=6, seconds=10)
    assert world.status["currentStep"] == 1
    assert "fewer than minRequests 10" in world.status["waitingOn"]
    world.metric_requests["errors"] = 10
    world.run(ticks=1, seconds=10)
    assert world.phase == "RolledBack"
    assert "breach 2 of 2" in world.status["rollbackReason"]


def test_a_candidate_that_serves_nothing_meets_on_no_data_not_min_requests() -> None:
    counted = gate(minRequests=10, requestsQuery="sum(increase(requests_total[1m]))")
    world = simulated(
        make_spec(STEPS, metrics=with_gates({**counted, "onNoData": "fail"})),
        metric_values={"errors": None},
        metric_requests={"errors": 0},
    )
    world.run(ticks=4, seconds=10)
    assert world.phase == "RolledBack"
    assert "no data for the candidate (onNoData: fail)" in world.status["rollbackReason"]
