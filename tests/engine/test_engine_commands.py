"""Commands arrive as annotation tokens: each acts once, whatever happens after."""

from __future__ import annotations

from pixelproof.api.status import Weights
from pixelproof.engine import SetWeights
from pixelproof_testkit.engine import make_spec, simulated

PAUSED_ROLLOUT = [
    {"setWeight": 10},
    {"pause": {}},
    {"setWeight": 50},
    {"pause": {}},
    {"setWeight": 100},
]


def test_promote_ends_only_the_current_pause() -> None:
    world = simulated(make_spec(PAUSED_ROLLOUT))
    world.run(ticks=5)
    world.commands["promote"] = "t1"
    world.run(ticks=5)
    assert world.phase == "Paused"
    assert world.status["currentStep"] == 3
    assert world.status["acknowledgedCommands"] == {"promote": "t1"}


def test_same_token_twice_acts_once() -> None:
    world = simulated(make_spec(PAUSED_ROLLOUT))
    world.run(ticks=5)
    world.commands["promote"] = "t1"
    for _ in range(10):
        world.tick()
    assert world.status["currentStep"] == 3
    world.commands["promote"] = "t2"
    world.run()
    assert world.phase == "Succeeded"


def test_promote_when_not_paused_is_ignored_with_an_event() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"evaluate": {}}, {"pause": {}}, {"setWeight": 100}]),
        evaluation_verdict=None,
    )
    world.run(ticks=3)
    world.commands["promote"] = "t1"
    world.tick()
    assert "CommandIgnored" in world.events()
    world.evaluation_verdict = "Pass"
    world.evaluation = None
    world.run(ticks=5)
    assert world.phase == "Paused"


def test_promote_full_skips_remaining_steps() -> None:
    world = simulated(make_spec(PAUSED_ROLLOUT))
    world.run(ticks=5)
    world.commands["promote-full"] = "t1"
    world.run()
    assert world.phase == "Succeeded"
    weights = [
        a.weights.candidate for d in world.history for a in d.actions if isinstance(a, SetWeights)
    ]
    assert 50 not in weights


def test_promote_full_never_skips_a_running_evaluation() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}]),
        evaluation_verdict=None,
    )
    world.run(ticks=4)
    world.commands["promote-full"] = "t1"
    world.run(ticks=10)
    assert world.phase == "Progressing"
    assert world.weights == Weights(stable=90, candidate=10)


def test_promote_full_never_skips_a_failed_evaluation() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}]),
        evaluation_verdict=None,
    )
    world.run(ticks=4)
    world.commands["promote-full"] = "t1"
    world.tick()
    job = world.started_jobs[-1]
    from pixelproof.engine import EvaluationReading

    world.evaluation = EvaluationReading(job=job, state="Fail", message="lpips 0.4 > 0.25")
    world.run()
    assert world.phase == "RolledBack"


def test_abort_rolls_back_in_one_action() -> None:
    world = simulated(make_spec(PAUSED_ROLLOUT))
    world.run(ticks=5)
    world.commands["abort"] = "t1"
    decision = world.tick()
    assert world.phase == "RolledBack"
    assert [a for a in decision.actions if isinstance(a, SetWeights)] == [
        SetWeights(Weights(stable=100, candidate=0))
    ]
    assert world.status["rollbackReason"] == "aborted by command"


def test_retry_after_rollback_restarts_without_spec_change() -> None:
    world = simulated(make_spec(PAUSED_ROLLOUT))
    world.run(ticks=5)
    world.commands["abort"] = "t1"
    world.run(ticks=3)
    world.commands["retry"] = "t1"
    world.tick()
    assert world.phase in ("Pending", "Progressing")
    assert world.status["attempt"] == 2
    world.run(ticks=5)
    assert world.phase == "Paused"
    world.commands["promote"] = "p1"
    world.run(ticks=10)
    assert world.status["currentStep"] == 3


def test_retry_reruns_an_inconclusive_evaluation_under_a_new_name() -> None:
    world = simulated(
        make_spec([{"evaluate": {}}, {"setWeight": 100}]), evaluation_verdict="Inconclusive"
    )
    world.run(ticks=5)
    assert len(world.started_jobs) == 1
    world.evaluation_verdict = "Pass"
    world.commands["retry"] = "t1"
    world.run()
    assert world.phase == "Succeeded"
    assert world.started_jobs[1].endswith("-a2")


def test_abort_after_success_is_ignored() -> None:
    world = simulated(make_spec([{"setWeight": 100}]))
    world.run()
    world.commands["abort"] = "t1"
    world.tick()
    assert world.phase == "Succeeded"
    assert "CommandIgnored" in world.events()
