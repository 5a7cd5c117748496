"""traffic.gpuBudget in the engine: replicas follow the weights inside a fixed total, the
delay after a weight move, and a rollback that restores stable before traffic returns."""

from __future__ import annotations

from typing import Any

import pytest

from pixelproof.api.status import Weights
from pixelproof.engine import ScaleWithinBudget, SetWeights
from pixelproof.engine.budget import planned, targets, within_budget
from pixelproof_testkit.engine import make_spec, simulated


def budget_spec(steps: list[dict[str, Any]], total: int = 4, delay: int = 10) -> dict[str, Any]:
    spec = make_spec(steps)
    spec["traffic"]["gpuBudget"] = {"totalReplicas": total, "scaleDownDelaySeconds": delay}
    return spec


@pytest.mark.parametrize(
    ("total", "candidate", "running", "expected"),
    [
        (4, 0, True, (3, 1)),
        (4, 0, False, (4, 0)),
        (4, 25, True, (3, 1)),
        (4, 50, True, (2, 2)),
        (4, 100, True, (0, 4)),
        (10, 35, True, (6, 4)),
    ],
)
def test_plan_per_weight(
    total: int, candidate: int, running: bool, expected: tuple[int, int]
) -> None:
    weights = Weights(stable=100 - candidate, candidate=candidate)
    assert planned(total, weights, running, keep_candidate=False) == expected


@pytest.mark.parametrize(
    ("wanted", "observed", "expected"),
    [
        ((2, 2), (3, 1), (2, 1)),  # stable shrinks first; the candidate waits for the room
        ((2, 2), (2, 1), (2, 2)),
        ((3, 1), (2, 2), (2, 1)),  # going back: the candidate shrinks, stable waits
        ((3, 1), (2, 1), (3, 1)),
        ((3, 1), (4, 1), (3, 1)),  # over budget from outside: both come down at once
    ],
)
def test_a_side_grows_only_into_room_the_other_gave_back(
    wanted: tuple[int, int], observed: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert within_budget(4, wanted, observed) == expected


def test_forward_keeps_stable_until_the_weight_settles() -> None:
    half = Weights(stable=50, candidate=50)
    routed = Weights(stable=75, candidate=25)
    assert targets(4, half, routed, False, (2, 2), observed_stable=3) == (3, 1)
    assert targets(4, half, half, False, (2, 2), observed_stable=3) == (3, 1)
    assert targets(4, half, half, True, (2, 2), observed_stable=3) == (2, 2)


def replicas_asked(world: Any) -> list[tuple[int, int]]:
    return [
        (a.stable, a.candidate)
        for d in world.history
        for a in d.actions
        if isinstance(a, ScaleWithinBudget)
    ]


def test_stable_scales_down_only_after_the_delay_and_the_candidate_follows() -> None:
    world = simulated(budget_spec([{"setWeight": 50}], delay=10))
    for _ in range(30):
        world.tick()
        if world.weights == Weights(stable=50, candidate=50):
            break
    moved = world.now
    assert world.stable_pods == 3 and world.candidate_replicas == 1
    while world.stable_pods == 3:
        world.tick()
    assert (world.now - moved).total_seconds() >= 10
    assert world.candidate_replicas == 1  # grows in the next decision, into the freed room
    world.run(30)
    assert world.phase == "Succeeded"
    assert (world.stable_pods, world.candidate_replicas) == (0, 4)
    assert all(s + c <= 4 for s, c in replicas_asked(world))


def test_step_waits_for_the_replica_plan_before_moving_on() -> None:
    world = simulated(budget_spec([{"setWeight": 50}, {"setWeight": 75}], delay=5))
    for _ in range(30):
        world.tick()
        if world.weights == Weights(stable=50, candidate=50):
            break
    world.tick()
    assert "GPU budget" in world.waiting_on
    assert world.status["currentStep"] == 0


def test_rollback_restores_stable_before_traffic_returns() -> None:
    world = simulated(budget_spec([{"setWeight": 50}, {"pause": {}}], delay=0))
    world.run(30)
    assert world.phase == "Paused" and (world.stable_pods, world.candidate_replicas) == (2, 2)
    world.commands["abort"] = "t1"
    decision = world.tick()
    assert world.phase == "RolledBack"
    assert SetWeights(Weights(stable=100, candidate=0)) not in decision.actions
    assert world.weights == Weights(stable=50, candidate=50)
    assert world.candidate_replicas == 1  # the candidate gives back a pod, keeps one serving
    world.tick()
    assert world.stable_pods == 3 and world.weights.candidate == 50
    world.tick()
    assert world.weights == Weights(stable=100, candidate=0)
    world.tick()
    world.tick()
    assert (world.stable_pods, world.candidate_replicas) == (4, 0)
    assert all(s + c <= 4 for s, c in replicas_asked(world))


def test_budget_status_records_the_replicas_asked() -> None:
    world = simulated(budget_spec([{"setWeight": 50}], delay=0))
    world.run(30)
    assert world.status["gpuBudget"]["totalReplicas"] == 4
    assert world.status["gpuBudget"]["stableReplicas"] == 0
    assert world.status["gpuBudget"]["candidateReplicas"] == 4
