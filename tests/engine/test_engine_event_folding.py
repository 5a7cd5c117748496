"""A step's start is said by the Event of what the step did; a step that does nothing of
its own keeps its StepStarted Event."""

from __future__ import annotations

from pixelproof.engine import EmitEvent
from pixelproof.engine.event_folding import fold_step_starts
from pixelproof.simulation.world import SimulatedWorld
from pixelproof_testkit.engine import make_spec, simulated


def _normal_events(world: SimulatedWorld) -> list[tuple[str, str]]:
    return [
        (a.reason, a.message)
        for d in world.history
        for a in d.actions
        if isinstance(a, EmitEvent) and a.type == "Normal"
    ]


def test_each_step_that_moves_traffic_or_starts_a_job_posts_one_event() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 50}, {"setWeight": 100}]),
        evaluation_verdict="Pass",
    )
    world.run()
    assert world.phase == "Succeeded"
    events = _normal_events(world)
    assert "StepStarted" not in [reason for reason, _ in events]
    assert ("EvaluationStarted", "step 2/4: evaluate: ") in [
        (reason, message[: len("step 2/4: evaluate: ")]) for reason, message in events
    ]
    weights = [message for reason, message in events if reason == "WeightsSet"]
    assert weights[1:] == [
        "step 3/4: setWeight 50: traffic: stable 50%, candidate 50%",
        "step 4/4: setWeight 100: traffic: stable 0%, candidate 100%",
    ]


def test_a_pause_keeps_its_own_step_started_event() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"pause": {"duration": "5s"}}, {"setWeight": 100}])
    )
    world.run()
    assert world.phase == "Succeeded"
    assert ("StepStarted", "step 2/3: pause 5s") in _normal_events(world)


def test_back_to_back_step_starts_each_survive_and_warnings_stay_apart() -> None:
    actions = [
        EmitEvent("Normal", "StepStarted", "step 2/3: pause 0s"),
        EmitEvent("Warning", "GateFailed", "errors above 0.05"),
        EmitEvent("Normal", "StepStarted", "step 3/3: setWeight 100"),
        EmitEvent("Normal", "WeightsSet", "traffic: stable 0%, candidate 100%"),
    ]
    assert fold_step_starts(list(actions)) == [
        EmitEvent("Warning", "GateFailed", "errors above 0.05"),
        EmitEvent("Normal", "StepStarted", "step 2/3: pause 0s"),
        EmitEvent(
            "Normal", "WeightsSet", "step 3/3: setWeight 100: traffic: stable 0%, candidate 100%"
        ),
    ]
