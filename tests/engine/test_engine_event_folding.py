"""A step's start is said by the Event of what the step did; a step that does nothing of
its own keeps its StepStarted Event; a decision's Normal Events are posted as one."""

from __future__ import annotations

from pixelproof.api.status import Weights
from pixelproof.engine import EmitEvent, SetWeights
from pixelproof.engine.actions import Action
from pixelproof.engine.event_folding import MAX_MESSAGE, fold_step_starts, one_event_per_decision
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


def test_a_decision_posts_one_normal_event_and_every_warning() -> None:
    half, full = Weights(stable=50, candidate=50), Weights(stable=0, candidate=100)
    actions: list[Action] = [
        EmitEvent("Normal", "EvaluationPass", "evaluator Job j: ok"),
        SetWeights(half),
        EmitEvent("Normal", "WeightsSet", "step 3/4: setWeight 50"),
        EmitEvent("Warning", "DryRunGateFail", "dry-run gate lpips: 0.4 > 0.2"),
        SetWeights(full),
        EmitEvent("Normal", "WeightsSet", "step 4/4: setWeight 100"),
        EmitEvent("Normal", "Succeeded", "v2 serves 100% of traffic"),
    ]
    assert one_event_per_decision(actions) == [
        SetWeights(half),
        EmitEvent("Warning", "DryRunGateFail", "dry-run gate lpips: 0.4 > 0.2"),
        SetWeights(full),
        EmitEvent(
            "Normal",
            "Succeeded",
            "EvaluationPass: evaluator Job j: ok"
            " | WeightsSet: step 3/4: setWeight 50; step 4/4: setWeight 100"
            " | v2 serves 100% of traffic",
            ("EvaluationPass", "WeightsSet", "Succeeded"),
        ),
    ]


def test_a_lone_event_is_posted_as_it_is_and_omitted_reasons_leave_no_part() -> None:
    lone = [EmitEvent("Normal", "RolloutStarted", "rolling out v2 next to v1")]
    assert one_event_per_decision(list(lone)) == lone
    actions = [
        EmitEvent("Normal", "CandidateReady", "candidate v2 is ready; starting step 1"),
        EmitEvent("Normal", "WeightsSet", "traffic: stable 90%, candidate 10%"),
    ]
    assert one_event_per_decision(actions, frozenset({"CandidateReady"})) == actions[1:]
    assert one_event_per_decision(actions, frozenset({"CandidateReady", "WeightsSet"})) == []


def test_a_fold_stops_before_its_message_would_be_cut() -> None:
    long = "x" * (MAX_MESSAGE // 2 - 2)
    events: list[Action] = [EmitEvent("Normal", "WeightsSet", long) for _ in range(3)]
    events.append(EmitEvent("Normal", "Succeeded", "done"))
    folded = one_event_per_decision(events)
    assert [(e.reason, len(e.message)) for e in folded if isinstance(e, EmitEvent)] == [
        ("WeightsSet", 2 * len(long) + 2),
        ("Succeeded", len("WeightsSet: ") + len(long) + len(" | done")),
    ]
    assert all(len(e.message) <= MAX_MESSAGE for e in folded if isinstance(e, EmitEvent))
