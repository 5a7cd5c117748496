"""Steering a live rollout: commands, a spec edit, missing objects, and deletion."""

from __future__ import annotations

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import DEPLOYMENTS, HTTPROUTES, JOBS, ROLLOUTS, SERVICES, Kube
from pixelproof_testkit.manifests import deployment, httproute, rollout, seed_namespace, service
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator
from pixelproof_testkit.weight_log import WeightLog

MANUAL = [{"setWeight": 10}, {"pause": {}}, {"setWeight": 50}, {"pause": {}}, {"setWeight": 80}]


def _status(kube: Kube) -> dict:  # type: ignore[type-arg]
    return kube.status("poster-gen")


def _weights(kube: Kube) -> list[int]:
    return [
        r["weight"] for r in kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["backendRefs"]
    ]


def test_promote_promote_full_and_commands_never_touch_spec(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(steps=MANUAL))
        spec_before = None
        wait_for(lambda: _status(kube).get("phase") == "Paused", 20, "the first pause")
        spec_before = kube.rollout("poster-gen")["spec"]
        assert _weights(kube) == [90, 10]
        kube.annotate("poster-gen", "pixelproof.dev/promote", "1700000001")
        wait_for(lambda: _status(kube).get("currentStep") == 3, 20, "the second pause")
        assert _weights(kube) == [50, 50]
        kube.annotate("poster-gen", "pixelproof.dev/promote-full", "1700000002")
        wait_for(lambda: _status(kube).get("phase") == "Succeeded", 20, "full promotion")
        status = _status(kube)
        assert status["acknowledgedCommands"] == {
            "promote": "1700000001",
            "promote-full": "1700000002",
        }
        assert kube.rollout("poster-gen")["spec"] == spec_before
    assert _weights(kube) == [0, 100]


def test_abort_returns_traffic_to_stable_and_retry_starts_again(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(steps=MANUAL))
        wait_for(lambda: _status(kube).get("phase") == "Paused", 20, "the first pause")
        kube.annotate("poster-gen", "pixelproof.dev/abort", "a1")
        wait_for(lambda: _status(kube).get("phase") == "RolledBack", 20, "the abort")
        assert _weights(kube) == [100, 0]
        assert "aborted" in _status(kube)["rollbackReason"]
        wait_for(
            lambda: kube.get(f"{DEPLOYMENTS}/poster-v2")["spec"]["replicas"] == 0,
            10,
            "the candidate to scale down",
        )
        kube.annotate("poster-gen", "pixelproof.dev/retry", "r1")
        wait_for(lambda: _status(kube).get("phase") == "Paused", 20, "the retried rollout")
        assert _status(kube)["attempt"] == 2
        assert _weights(kube) == [90, 10]
        assert kube.get(f"{DEPLOYMENTS}/poster-v2")["spec"]["replicas"] == 2


def test_candidate_change_mid_rollout_restarts_from_the_first_step(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    seed_namespace(kube)
    kube.create(DEPLOYMENTS, {**deployment("poster-v3", 0)})
    kube.create(SERVICES, service("poster-candidate-v3", {"version": "poster-v3"}))
    route = httproute()
    route["spec"]["rules"][0]["backendRefs"].append(
        {"name": "poster-candidate-v3", "port": 80, "weight": 0}
    )
    kube.patch(f"{HTTPROUTES}/poster-gen", route)
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(steps=MANUAL))
        wait_for(lambda: _status(kube).get("phase") == "Paused", 20, "the first pause")
        kube.annotate("poster-gen", "pixelproof.dev/promote", "p1")
        wait_for(lambda: _status(kube).get("currentStep") == 3, 20, "the second pause")
        first_revision = _status(kube)["revision"]
        kube.patch(
            f"{ROLLOUTS}/poster-gen",
            {
                "spec": {
                    "candidate": {
                        "deployment": "poster-v3",
                        "service": "poster-candidate-v3",
                        "replicas": 1,
                    }
                }
            },
        )
        wait_for(lambda: _status(kube).get("revision") != first_revision, 20, "a new revision")
        wait_for(
            lambda: (
                _status(kube).get("phase") == "Paused" and _status(kube).get("currentStep") == 1
            ),
            20,
            "the new candidate's first pause",
        )
        kube.wait_for_events("poster-gen", "CandidateChanged")
    refs = kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["backendRefs"]
    weights = {r["name"]: r["weight"] for r in refs}
    # The old candidate's backendRef went back to 0 before the new candidate got its 10 %.
    assert weights == {"poster-stable": 90, "poster-candidate": 0, "poster-candidate-v3": 10}
    assert kube.get(f"{DEPLOYMENTS}/poster-v3")["spec"]["replicas"] == 1


def test_missing_route_and_service_stall_with_a_message_and_recover(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube, route=False)
    kube.delete(f"{SERVICES}/poster-candidate")
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 10}, {"setWeight": 100}]))

        def stalled() -> str | None:
            conditions = {c["type"]: c for c in _status(kube).get("conditions") or []}
            stall = conditions.get("Stalled")
            return stall["message"] if stall and stall["status"] == "True" else None

        message = wait_for(stalled, 20, "the Stalled condition")
        assert "HTTPRoute imagegen/poster-gen not found" in message
        assert "candidate Service imagegen/poster-candidate not found" in message
        kube.wait_for_events("poster-gen", "MissingDependency")
        kube.create(SERVICES, service("poster-candidate", {"version": "poster-v2"}))
        kube.create(HTTPROUTES, httproute())
        wait_for(lambda: _status(kube).get("phase") == "Succeeded", 20, "recovery")
    conditions = {c["type"]: c["status"] for c in _status(kube)["conditions"]}
    assert conditions == {"Ready": "True", "Reconciling": "False", "Stalled": "False"}


def test_deletion_returns_traffic_to_stable_and_removes_jobs(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    log = WeightLog(cluster, "httproutes")
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 20}, {"evaluate": {}}, {"pause": {}}]))
        wait_for(lambda: _status(kube).get("phase") == "Paused", 20, "the pause")
        assert len(kube.list(JOBS)) == 1
        kube.delete(f"{ROLLOUTS}/poster-gen")
        wait_for(lambda: kube.get(f"{ROLLOUTS}/poster-gen") is None, 20, "the deletion")
    assert _weights(kube) == [100, 0]
    assert log.candidate_weights[-1] == 0
    assert kube.list(JOBS) == []


def test_deletion_keeps_traffic_when_asked(cluster: LocalCluster, kube: Kube) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster):
        kube.create(
            ROLLOUTS,
            rollout(steps=[{"setWeight": 20}, {"pause": {}}], rollback={"onDelete": "keep"}),
        )
        wait_for(lambda: _status(kube).get("phase") == "Paused", 20, "the pause")
        kube.delete(f"{ROLLOUTS}/poster-gen")
        wait_for(lambda: kube.get(f"{ROLLOUTS}/poster-gen") is None, 20, "the deletion")
    assert _weights(kube) == [80, 20]
