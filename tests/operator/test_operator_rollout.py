"""Rollouts to 100 % with each router, and a rollback on a failed evaluation, with kopf
running for real against the local API server."""

from __future__ import annotations

import pytest

from pixelproof_localcluster import LocalCluster, Terminated
from pixelproof_testkit.kube import DEPLOYMENTS, HTTPROUTES, JOBS, ROLLOUTS, VIRTUALSERVICES, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator, summary
from pixelproof_testkit.weight_log import WeightLog


def _phase(kube: Kube, name: str = "poster-gen") -> str | None:
    return kube.status(name).get("phase")


def test_gateway_api_rollout_reaches_full_weight(cluster: LocalCluster, kube: Kube) -> None:
    seed_namespace(kube, "gatewayAPI")
    log = WeightLog(cluster, "httproutes")
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout())
        wait_for(lambda: _phase(kube) == "Succeeded", 30, "the rollout to succeed")
        kube.wait_for_events(
            "poster-gen",
            "RolloutStarted",
            "EvaluationStarted",
            "EvaluationPass",
            "Succeeded",
            "WeightsSet",
        )
    route = kube.get(f"{HTTPROUTES}/poster-gen")
    refs = route["spec"]["rules"][0]["backendRefs"]
    assert [(r["name"], r["weight"]) for r in refs] == [
        ("poster-stable", 0),
        ("poster-candidate", 100),
    ]
    # Only the weight fields changed: the rest of the route is as the user wrote it.
    assert route["spec"]["rules"][0]["matches"] == [
        {"path": {"type": "PathPrefix", "value": "/generate"}}
    ]
    assert log.candidate_weights == [10, 50, 100]
    status = kube.status("poster-gen")
    assert status["weights"] == {"stable": 0, "candidate": 100}
    assert status["lastEvaluation"]["state"] == "Pass"
    assert kube.get(f"{DEPLOYMENTS}/poster-v2")["spec"]["replicas"] == 2
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"
    jobs = kube.list(JOBS)
    assert [j["metadata"]["labels"]["pixelproof.dev/step"] for j in jobs] == ["1"]


def test_istio_rollout_reaches_full_weight(cluster: LocalCluster, kube: Kube) -> None:
    seed_namespace(kube, "istio")
    log = WeightLog(cluster, "virtualservices")
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(router="istio"))
        wait_for(lambda: _phase(kube) == "Succeeded", 30, "the rollout to succeed")
    route = kube.get(f"{VIRTUALSERVICES}/poster-gen")["spec"]["http"][0]["route"]
    assert [d["weight"] for d in route] == [0, 100]
    assert log.candidate_weights == [10, 50, 100]


def test_replicas_rollout_reaches_full_weight(cluster: LocalCluster, kube: Kube) -> None:
    log = WeightLog(cluster, "deployments")
    seed_namespace(kube, "replicas")
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(router="replicas"))
        wait_for(lambda: _phase(kube) == "Succeeded", 30, "the rollout to succeed")
    stable = kube.get(f"{DEPLOYMENTS}/poster-v1")["spec"]["replicas"]
    candidate = kube.get(f"{DEPLOYMENTS}/poster-v2")["spec"]["replicas"]
    assert (stable, candidate) == (0, 4)
    # (stable, candidate) pods: 10 % and 50 % of four pods are one and two candidate pods;
    # stable shrinks before the candidate grows, so the candidate never gets ahead.
    assert log.states == [(4, 0), (3, 0), (3, 1), (2, 1), (2, 2), (0, 2), (0, 4)]


def test_failed_evaluation_rolls_back(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    evaluator.script(1, Terminated(1, message=summary("fail", "lpips mean 0.41 > 0.25")))
    seed_namespace(kube, "gatewayAPI")
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout())
        wait_for(lambda: _phase(kube) == "RolledBack", 30, "the rollback")
        wait_for(
            lambda: kube.get(f"{DEPLOYMENTS}/poster-v2")["spec"]["replicas"] == 0,
            10,
            "the candidate to scale down",
        )
        kube.wait_for_events("poster-gen", "EvaluationFailed")
    status = kube.status("poster-gen")
    assert "lpips mean 0.41 > 0.25" in status["rollbackReason"]
    refs = kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["backendRefs"]
    assert [r["weight"] for r in refs] == [100, 0]
    assert status["lastEvaluation"]["gates"][0]["name"] == "lpips"


@pytest.mark.parametrize("router", ["gatewayAPI"])
def test_stays_rolled_back_until_retry(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator, router: str
) -> None:
    evaluator.script(1, Terminated(1, message=summary("fail")))
    seed_namespace(kube, router)
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(router=router))
        wait_for(lambda: _phase(kube) == "RolledBack", 30, "the rollback")
        kube.annotate("poster-gen", "pixelproof.dev/retry", "1")
        wait_for(lambda: _phase(kube) == "Succeeded", 30, "the retried rollout to succeed")
    assert kube.status("poster-gen")["attempt"] == 2
