"""The kserve router with kopf running for real against the local API server, which serves
KServe's InferenceService CRD (localstack's bundled copy). KServeStandIn plays the KServe
controller and Knative Serving: it turns the candidate revision ready and reports the
traffic split in status a moment after canaryTrafficPercent changes."""

from __future__ import annotations

from typing import Any

import jsonschema
import yaml

from pixelproof_localcluster import BUNDLED_CRDS, LocalCluster, Terminated
from pixelproof_testkit.kserve import (
    CANDIDATE_REVISION,
    ISVC,
    ISVCS,
    STABLE_REVISION,
    KServeStandIn,
    create_inference_service,
    kserve_rollout,
    routed,
    seed_kserve_namespace,
)
from pixelproof_testkit.kube import DEPLOYMENTS, ROLLOUTS, Kube
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator, summary

CRD = yaml.safe_load((BUNDLED_CRDS / "kserve-inferenceservice.yaml").read_text())


class CanaryLog:
    """Every canaryTrafficPercent stored, and every split status reported (as percent per
    revision, and as the targets with their tags), in order."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.written: list[int | None] = []
        self.reported: list[dict[str, int]] = []
        self.targets: list[list[tuple[str, int, str]]] = []
        cluster.call(cluster.server.store.add_listener, self._on_event)

    def _on_event(self, spec: Any, event: Any) -> None:
        if spec.plural != "inferenceservices" or event.type == "DELETED":
            return
        obj = event.object
        percent = obj["spec"]["predictor"].get("canaryTrafficPercent")
        if not self.written or self.written[-1] != percent:
            self.written.append(percent)
        if (obj.get("status") or {}).get("components"):
            split = routed(obj)
            if not self.reported or self.reported[-1] != split:
                self.reported.append(split)
            targets = [
                (t["revisionName"], t["percent"], t.get("tag", ""))
                for t in obj["status"]["components"]["predictor"]["traffic"]
            ]
            if not self.targets or self.targets[-1] != targets:
                self.targets.append(targets)


def _status(kube: Kube) -> dict[str, Any]:
    return kube.status("poster-gen")


def _phase(kube: Kube) -> str | None:
    return _status(kube).get("phase")


def _isvc(kube: Kube) -> dict[str, Any]:
    found: dict[str, Any] = kube.get(f"{ISVCS}/{ISVC}")
    return found


def _assert_schema_valid(isvc: dict[str, Any]) -> None:
    schema = CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    jsonschema.validate(isvc, schema)


def test_kserve_rollout_reaches_full_weight(cluster: LocalCluster, kube: Kube) -> None:
    seed_kserve_namespace(kube)
    log = CanaryLog(cluster)
    with KServeStandIn(cluster.url), operator_in_thread(cluster):
        kube.create(ROLLOUTS, kserve_rollout())
        wait_for(lambda: _phase(kube) == "Succeeded", 60, "the rollout to succeed")
        kube.wait_for_events(
            "poster-gen", "RolloutStarted", "CandidateReady", "EvaluationPass", "Succeeded"
        )
    isvc = _isvc(kube)
    _assert_schema_valid(isvc)
    assert log.written == [0, 10, 50, 100]
    assert log.reported == [
        {STABLE_REVISION: 100},
        {STABLE_REVISION: 90, CANDIDATE_REVISION: 10},
        {STABLE_REVISION: 50, CANDIDATE_REVISION: 50},
        {CANDIDATE_REVISION: 100},
    ]
    # KServe now counts the candidate as rolled out: its next canary splits against it.
    predictor = isvc["status"]["components"]["predictor"]
    assert predictor["latestRolledoutRevision"] == CANDIDATE_REVISION
    assert predictor["previousRolledoutRevision"] == STABLE_REVISION
    # Only canaryTrafficPercent changed: the model is as the user wrote it.
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "s3://models/poster-gen/v2"
    status = _status(kube)
    assert status["weights"] == {"stable": 0, "candidate": 100}
    assert status["verifiedWeights"] == {"stable": 0, "candidate": 100}
    # Knative's autoscaler sizes revisions: candidate.replicas is never written to them.
    candidate = kube.get(f"{DEPLOYMENTS}/{CANDIDATE_REVISION}-deployment")
    assert candidate["spec"]["replicas"] == 1


def test_readiness_and_weights_come_from_the_inference_service_status(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_kserve_namespace(kube)
    with (
        KServeStandIn(cluster.url, ready_after=3600, delay=3600) as kserve,
        operator_in_thread(cluster),
    ):
        kube.create(ROLLOUTS, kserve_rollout())
        # The candidate's Deployment has its pod ready, but KServe has not made the
        # revision its latestReadyRevision: the rollout does not start.
        wait_for(
            lambda: "not ready" in (_status(kube).get("waitingOn") or ""), 20, "the readiness hold"
        )
        assert _status(kube)["phase"] == "Pending"
        assert _canary(kube) == 0
        kserve.ready_after = 0
        wait_for(lambda: _canary(kube) == 10, 20, "the first weight write")
        # Knative has not reported the new split: 10 % written is not 10 % routed.
        wait_for(
            lambda: (
                "router to report stable 90/candidate 10" in (_status(kube).get("waitingOn") or "")
            ),
            20,
            "the hold on unverified weights",
        )
        status = _status(kube)
        assert status["currentStep"] == 0
        assert status.get("verifiedWeights") in (None, {"stable": 100, "candidate": 0})
        kserve.delay = 0.3
        wait_for(lambda: _phase(kube) == "Succeeded", 60, "the rollout to succeed")


def _canary(kube: Kube) -> int | None:
    percent: int | None = _isvc(kube)["spec"]["predictor"].get("canaryTrafficPercent")
    return percent


def test_failed_evaluation_rolls_back_to_zero_read_back_from_status(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    evaluator.script(1, Terminated(1, message=summary("Fail", "lpips mean 0.41 > 0.25")))
    seed_kserve_namespace(kube)
    log = CanaryLog(cluster)
    with KServeStandIn(cluster.url), operator_in_thread(cluster):
        kube.create(ROLLOUTS, kserve_rollout())
        wait_for(lambda: _phase(kube) == "RolledBack", 60, "the rollback")
        wait_for(
            lambda: _status(kube).get("verifiedWeights") == {"stable": 100, "candidate": 0},
            20,
            "the rollback to be read back",
        )
        kube.wait_for_events("poster-gen", "EvaluationFailed")
    assert "lpips mean 0.41 > 0.25" in _status(kube)["rollbackReason"]
    assert _isvc(kube)["spec"]["predictor"]["canaryTrafficPercent"] == 0
    assert routed(_isvc(kube)) == {STABLE_REVISION: 100}
    assert log.written == [0, 10, 0]


def test_abort_after_full_weight_returns_to_the_stable_revision(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    """At 100 % KServe records the candidate as rolled out, so canaryTrafficPercent 0 first
    routes everything to the candidate again (as `prev`) until KServe hands rolled-out back
    to the stable revision: the rollback is verified only once the stable revision has it."""
    seed_kserve_namespace(kube)
    log = CanaryLog(cluster)
    with KServeStandIn(cluster.url), operator_in_thread(cluster):
        kube.create(
            ROLLOUTS,
            kserve_rollout(steps=[{"setWeight": 100}, {"pause": {}}]),
        )
        wait_for(
            lambda: _status(kube).get("verifiedWeights") == {"stable": 0, "candidate": 100},
            60,
            "full weight",
        )
        kube.annotate("poster-gen", "pixelproof.dev/abort", "a1")
        wait_for(lambda: _phase(kube) == "RolledBack", 30, "the abort")
        wait_for(
            lambda: _status(kube).get("verifiedWeights") == {"stable": 100, "candidate": 0},
            30,
            "the abort to be read back",
        )
    predictor = _isvc(kube)["status"]["components"]["predictor"]
    assert predictor["latestRolledoutRevision"] == STABLE_REVISION
    assert log.written == [0, 100, 0]
    # The rollout's own start also shows the stable revision as `prev` with everything:
    # the hand-back is the last such state, right after the candidate held it as `prev`.
    stable_again = [(CANDIDATE_REVISION, 0, "latest"), (STABLE_REVISION, 100, "prev")]
    assert log.targets[-1] == stable_again
    assert log.targets[-2] == [(CANDIDATE_REVISION, 0, "latest"), (CANDIDATE_REVISION, 100, "prev")]


def test_missing_inference_service_stalls_with_a_message_and_recovers(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_kserve_namespace(kube, isvc=False)
    with KServeStandIn(cluster.url), operator_in_thread(cluster):
        kube.create(ROLLOUTS, kserve_rollout(steps=[{"setWeight": 10}, {"setWeight": 100}]))

        def stalled() -> str | None:
            conditions = {c["type"]: c for c in _status(kube).get("conditions") or []}
            stall = conditions.get("Stalled")
            return stall["message"] if stall and stall["status"] == "True" else None

        message = wait_for(stalled, 20, "the Stalled condition")
        assert "InferenceService imagegen/poster-gen not found" in message
        kube.wait_for_events("poster-gen", "MissingDependency")
        create_inference_service(kube)
        wait_for(lambda: _phase(kube) == "Succeeded", 60, "recovery")
    conditions = {c["type"]: c["status"] for c in _status(kube)["conditions"]}
    assert conditions == {"Ready": "True", "Reconciling": "False", "Stalled": "False"}


def test_the_bundled_crd_is_structural() -> None:
    version = CRD["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}

    def walk(node: dict[str, Any], where: str) -> None:
        preserved = node.get("x-kubernetes-preserve-unknown-fields")
        assert "type" in node, f"{where} has no type"
        for name, child in (node.get("properties") or {}).items():
            walk(child, f"{where}.{name}")
        if "items" in node:
            walk(node["items"], f"{where}[]")
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{where}{{}}")
        assert (
            node["type"] != "object"
            or preserved
            or where == ".metadata"
            or (node.get("properties") or node.get("additionalProperties"))
        ), f"{where} is an object with no fields"

    walk(version["schema"]["openAPIV3Schema"], "")
    predictor = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "predictor"
    ]
    assert predictor["properties"]["canaryTrafficPercent"]["maximum"] == 100
