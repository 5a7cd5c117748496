"""A step's start is said by the Event of what the step did; a step that does nothing of
its own keeps its StepStarted Event."""

from __future__ import annotations

from pixelproof.api.status import Weights
from pixelproof.engine import EmitEvent, SetWeights
from pixelproof.engine.event_folding import MAX_MESSAGE, fold_step_starts, fold_weight_changes
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


def test_weights_set_in_a_row_are_one_event_and_other_events_break_the_run() -> None:
    half, full = Weights(stable=50, candidate=50), Weights(stable=0, candidate=100)
    actions = [
        EmitEvent("Normal", "WeightsSet", "step 1/4: setWeight 10"),
        SetWeights(half),
        EmitEvent("Normal", "WeightsSet", "step 2/4: setWeight 50"),
        EmitEvent("Normal", "EvaluationStarted", "step 3/4: evaluate"),
        EmitEvent("Normal", "WeightsSet", "step 4/4: setWeight 100"),
        SetWeights(full),
        EmitEvent("Warning", "GateFailed", "errors above 0.05"),
        EmitEvent("Normal", "WeightsSet", "traffic: stable 100%, candidate 0%"),
    ]
    assert fold_weight_changes(actions) == [
        EmitEvent("Normal", "WeightsSet", "step 1/4: setWeight 10; step 2/4: setWeight 50"),
        SetWeights(half),
        EmitEvent("Normal", "EvaluationStarted", "step 3/4: evaluate"),
        EmitEvent("Normal", "WeightsSet", "step 4/4: setWeight 100"),
        SetWeights(full),
        EmitEvent("Warning", "GateFailed", "errors above 0.05"),
        EmitEvent("Normal", "WeightsSet", "traffic: stable 100%, candidate 0%"),
    ]


def test_a_fold_stops_before_its_message_would_be_cut() -> None:
    long = "x" * (MAX_MESSAGE // 2 - 2)
    events = [EmitEvent("Normal", "WeightsSet", long) for _ in range(3)]
    folded = fold_weight_changes(list(events))
    assert [len(e.message) for e in folded if isinstance(e, EmitEvent)] == [
        2 * len(long) + 2,
        len(long),
    ]
    assert all(len(e.message) <= MAX_MESSAGE for e in folded if isinstance(e, EmitEvent))
