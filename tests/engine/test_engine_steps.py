"""Table tests: each step kind, phase and transition of the engine."""

from __future__ import annotations

import pytest

from pixelproof.api.status import Weights
from pixelproof.engine import ScaleCandidate, SetWeights, StartEvaluation
from pixelproof_testkit.engine import make_spec, simulated


def test_new_rollout_scales_candidate_before_any_traffic() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"setWeight": 100}]), candidate_ready=False)
    decision = world.tick()
    assert world.phase == "Pending"
    assert ScaleCandidate(1) in decision.actions
    assert not any(isinstance(a, SetWeights) and a.weights.candidate > 0 for a in decision.actions)
    assert "not ready" in world.status["waitingOn"]


def test_set_weight_waits_for_router_to_verify() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"setWeight": 100}]), apply_weights=False)
    world.tick()
    world.tick()
    assert world.status["currentStep"] == 0
    assert world.status["weights"] == {"stable": 90, "candidate": 10}
    assert "router to report" in world.status["waitingOn"]
    world.weights = Weights(stable=90, candidate=10)
    world.tick()
    assert world.status["currentStep"] == 1
    assert world.status["verifiedWeights"] == {"stable": 90, "candidate": 10}


def test_rollout_to_full_weight_succeeds_with_ready_condition() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"setWeight": 50}, {"setWeight": 100}]))
    world.run()
    assert world.phase == "Succeeded"
    assert world.status["weights"] == {"stable": 0, "candidate": 100}
    assert world.condition("Ready")["status"] == "True"
    assert world.condition("Reconciling")["status"] == "False"
    assert world.condition("Stalled")["status"] == "False"
    assert world.condition("Ready")["observedGeneration"] == 1


def test_steps_ending_below_100_promote_to_full_weight_at_the_end() -> None:
    world = simulated(make_spec([{"setWeight": 20}]))
    world.run()
    assert world.phase == "Succeeded"
    assert world.weights == Weights(stable=0, candidate=100)


def test_timed_pause_waits_for_its_duration() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"pause": {"duration": "30s"}}, {"setWeight": 100}])
    )
    for _ in range(5):
        world.tick(seconds=5)
    assert world.phase == "Paused"
    assert world.status["currentStep"] == 1
    assert world.condition("Reconciling")["status"] == "True"
    world.run(seconds=5)
    assert world.phase == "Succeeded"


def test_pause_without_duration_waits_for_promote_and_never_times_out() -> None:
    world = simulated(
        make_spec(
            [{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}], progressDeadlineSeconds=60
        )
    )
    world.run(ticks=50, seconds=10)
    assert world.phase == "Paused"
    assert "promot" in world.status["waitingOn"]
    world.commands["promote"] = "token-1"
    world.run()
    assert world.phase == "Succeeded"


def test_evaluate_step_runs_one_job_and_advances_on_pass() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}]))
    world.run()
    assert world.phase == "Succeeded"
    assert world.started_jobs == ["gen-" + world.status["revision"][:6] + "-r1-s1-a1"]
    assert world.status["lastEvaluation"]["state"] == "Pass"


def test_evaluate_step_keeps_waiting_while_job_runs() -> None:
    world = simulated(make_spec([{"evaluate": {}}, {"setWeight": 100}]), evaluation_verdict=None)
    world.run(ticks=20, seconds=60)
    assert world.status["currentStep"] == 0
    assert world.phase == "Progressing"
    assert "running" in world.status["waitingOn"]
    assert len(world.started_jobs) == 1


def test_missing_job_is_started_again_under_the_same_name() -> None:
    world = simulated(
        make_spec([{"evaluate": {}}, {"setWeight": 100}]),
        evaluation_verdict=None,
        candidate_replicas=1,
    )
    world.tick()
    first = world.started_jobs[0]
    world.evaluation = None
    decision = world.tick()
    assert StartEvaluation(0, 1, first, (), candidate_replicas=1) in decision.actions


def test_failed_evaluation_rolls_back_at_once() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}]),
        evaluation_verdict="Fail",
    )
    world.run()
    assert world.phase == "RolledBack"
    assert world.weights == Weights(stable=100, candidate=0)
    assert "evaluation failed" in world.status["rollbackReason"]
    assert world.condition("Stalled")["status"] == "True"
    assert world.candidate_replicas == 0


def test_inconclusive_evaluation_retries_up_to_max_attempts_then_holds() -> None:
    world = simulated(
        make_spec([{"evaluate": {"maxAttempts": 2}}, {"setWeight": 100}]),
        evaluation_verdict="Inconclusive",
    )
    world.run(ticks=10)
    assert [j[-3:] for j in world.started_jobs] == ["-a1", "-a2"]
    assert world.phase == "Progressing"
    assert "inconclusive" in world.status["waitingOn"]


def test_hold_past_progress_deadline_fails_and_returns_traffic() -> None:
    world = simulated(
        make_spec(
            [{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}], progressDeadlineSeconds=60
        ),
        evaluation_verdict="Inconclusive",
    )
    world.run(ticks=200, seconds=5)
    assert world.phase == "Failed"
    assert world.weights == Weights(stable=100, candidate=0)
    assert "progressDeadlineSeconds" in world.status["message"]


def test_missing_service_stalls_with_message_and_recovers() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"setWeight": 100}]),
        problems=("Service imagegen/gen-candidate not found",),
    )
    world.tick()
    world.tick()
    assert world.condition("Stalled")["status"] == "True"
    assert "gen-candidate not found" in world.condition("Stalled")["message"]
    assert world.weights == Weights()
    world.problems = ()
    world.run()
    assert world.phase == "Succeeded"


def test_router_error_stalls() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}]), router_error="HTTPRoute ns/gen not found", weights=None
    )
    world.tick()
    assert world.condition("Stalled")["reason"] == "MissingDependency"
    assert "HTTPRoute ns/gen not found" in world.status["message"]


@pytest.mark.parametrize(
    "bad_spec",
    [
        {},
        {"steps": "nope"},
        make_spec([{"setWeight": 50}, {"setWeight": 10}]),
        make_spec([{"setWeight": 10, "pause": {}}]),
        make_spec([{"evaluate": {}}], goldenSet=None),
        make_spec(
            [{"setWeight": 10}],
            metrics={
                "prometheus": {"address": "http://p:9090"},
                "gates": [{"name": "x", "template": "no-such-template"}],
            },
        ),
        make_spec(
            [{"setWeight": 10}], metrics={"gates": [{"name": "x", "template": "error-rate"}]}
        ),
        make_spec([{"setWeight": 10}], traffic={}),
    ],
)
def test_bad_spec_is_stalled_never_raises(bad_spec: dict) -> None:  # type: ignore[type-arg]
    world = simulated(bad_spec if bad_spec else {"steps": []})
    world.spec = bad_spec
    decision = world.tick()
    assert world.condition("Stalled")["status"] == "True"
    assert world.condition("Stalled")["reason"] == "InvalidSpec"
    assert world.status["message"].startswith("invalid spec")
    assert not any(isinstance(a, SetWeights) for a in decision.actions)


def test_unreadable_status_is_reset_with_a_message() -> None:
    world = simulated(make_spec([{"setWeight": 100}]))
    world.status = {"phase": "Bogus", "currentStep": "x"}
    world.tick()
    assert world.phase in ("Pending", "Progressing")


def test_candidate_change_mid_rollout_starts_over_from_step_zero() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]))
    world.run(ticks=5)
    assert world.status["currentStep"] == 1
    first_revision = world.status["revision"]
    world.spec["candidate"]["deployment"] = "gen-v3"
    world.generation = 2
    decision = world.tick()
    assert world.status["revision"] != first_revision
    assert world.status["currentStep"] == 0
    assert SetWeights(Weights(stable=100, candidate=0)) in decision.actions
    assert "CandidateChanged" in world.events()


def test_threshold_change_mid_rollout_keeps_position() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]))
    world.run(ticks=5)
    world.spec["progressDeadlineSeconds"] = 1200
    world.generation = 2
    world.tick()
    assert world.status["currentStep"] == 1
    assert world.status["observedGeneration"] == 2


def test_spec_change_after_rollback_starts_new_rollout() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}]),
        evaluation_verdict="Fail",
    )
    world.run()
    assert world.phase == "RolledBack"
    world.run(ticks=5)
    assert world.phase == "RolledBack"
    world.evaluation_verdict = "Pass"
    world.spec["progressDeadlineSeconds"] = 900
    world.generation = 2
    world.run()
    assert world.phase == "Succeeded"
    assert world.status["attempt"] == 2


def test_terminal_phase_restores_drifted_weights() -> None:
    world = simulated(make_spec([{"setWeight": 100}]))
    world.run()
    world.weights = Weights(stable=50, candidate=50)
    decision = world.tick()
    assert SetWeights(Weights(stable=0, candidate=100)) in decision.actions


def test_candidate_scaled_back_when_someone_scales_it_down() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"pause": {}}]))
    world.run(ticks=5)
    world.candidate_replicas = 0
    decision = world.tick()
    assert ScaleCandidate(1) in decision.actions


def test_evaluation_waits_for_a_ready_candidate() -> None:
    world = simulated(
        make_spec([{"pause": {"duration": "10s"}}, {"evaluate": {}}, {"setWeight": 100}]),
        candidate_replicas=1,
    )
    world.run(ticks=1)
    world.candidate_ready = False
    world.run(ticks=20)
    assert world.started_jobs == []
    assert "not ready to evaluate" in world.status["waitingOn"]
    world.candidate_ready = True
    world.run()
    assert world.phase == "Succeeded"


def test_unknown_query_variable_is_reported_before_the_rollout_starts() -> None:
    bad = {"name": "errors", "query": 'sum(rate(x{svc="{{candidate.servce}}"}[1m]))', "max": 0.1}
    world = simulated(
        make_spec(
            [{"setWeight": 10}],
            metrics={"prometheus": {"address": "http://p:9090"}, "gates": [bad]},
        )
    )
    decision = world.tick()
    assert world.condition("Stalled")["reason"] == "InvalidSpec"
    assert "candidate.servce" in world.status["message"]
    assert "errors" in world.status["message"]
    assert not any(isinstance(a, (SetWeights, ScaleCandidate)) for a in decision.actions)


def test_first_step_traffic_left_by_a_killed_operator_is_kept() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"setWeight": 100}]),
        weights=Weights(stable=90, candidate=10),
        candidate_replicas=1,
    )
    decision = world.tick()
    assert SetWeights(Weights(stable=100, candidate=0)) not in decision.actions
    assert world.status["currentStep"] == 1


def test_unknown_traffic_above_the_first_step_returns_to_stable() -> None:
    world = simulated(
        make_spec([{"setWeight": 10}, {"setWeight": 100}]),
        weights=Weights(stable=50, candidate=50),
        candidate_replicas=1,
    )
    decision = world.tick()
    assert decision.actions[0] == SetWeights(Weights(stable=100, candidate=0))


def test_a_timed_pause_leaves_the_status_unchanged_from_tick_to_tick() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"pause": {"duration": "1h"}}]))
    world.run(ticks=10)
    assert world.phase == "Paused"
    assert world.waiting_on == "pause: until 2026-03-01T13:00:02Z"
    before = world.status
    world.tick(seconds=600)
    world.tick()
    assert world.status == before
