"""status.rollbackCause: why traffic returned to stable, set with the rollback itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pixelproof.engine import EmitEvent
from pixelproof.simulation.world import SimulatedWorld
from pixelproof_testkit.engine import gate, make_spec, simulated, with_gates

PAUSED = [{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]
EVALUATED = [{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}]


def gate_breached() -> SimulatedWorld:
    world = simulated(make_spec(PAUSED, metrics=with_gates(gate())), metric_values={"errors": 0.5})
    world.run(ticks=10)
    return world


def evaluation_failed() -> SimulatedWorld:
    world = simulated(make_spec(EVALUATED), evaluation_verdict="Fail")
    world.run(ticks=10)
    return world


def aborted() -> SimulatedWorld:
    world = simulated(make_spec(PAUSED))
    world.run(ticks=5)
    world.commands["abort"] = "t1"
    world.tick()
    return world


def deadline_passed() -> SimulatedWorld:
    world = simulated(
        make_spec(EVALUATED, progressDeadlineSeconds=60), evaluation_verdict="Inconclusive"
    )
    world.run(ticks=100, seconds=5)
    return world


@pytest.mark.parametrize(
    ("play", "phase", "cause"),
    [
        (gate_breached, "RolledBack", "GateFailed"),
        (evaluation_failed, "RolledBack", "EvaluationFailed"),
        (aborted, "RolledBack", "Aborted"),
        (deadline_passed, "Failed", "ProgressDeadlineExceeded"),
    ],
)
def test_every_rollback_names_its_cause(
    play: Callable[[], SimulatedWorld], phase: str, cause: str
) -> None:
    world = play()
    assert world.phase == phase
    assert world.status["rollbackCause"] == cause
    warnings = [
        a.reason
        for a in world.history[-1].actions
        if isinstance(a, EmitEvent) and a.type == "Warning"
    ]
    assert cause in warnings
    assert world.status["rollbackReason"]


def test_cause_stays_while_rolled_back_and_clears_on_retry() -> None:
    world = aborted()
    world.run(ticks=3)
    assert world.status["rollbackCause"] == "Aborted"
    world.commands["retry"] = "t1"
    world.tick()
    assert world.phase in ("Pending", "Progressing")
    assert "rollbackCause" not in world.status
    assert "rollbackReason" not in world.status


def test_success_has_no_cause() -> None:
    world = simulated(make_spec([{"setWeight": 100}]))
    world.run()
    assert world.phase == "Succeeded"
    assert "rollbackCause" not in world.status
