"""A namespace served by KServe in Knative mode, for the kserve router's tests: the
InferenceService, its two predictor revisions' Deployments, the Services the evaluator
calls, and a stand-in for the KServe controller and Knative Serving, which cannot run here."""

from __future__ import annotations

import threading
import time
from typing import Any

from pixelproof_testkit.kube import DEPLOYMENTS, NS, SERVICES, Kube
from pixelproof_testkit.manifests import deployment, rollout, seed_namespace

ISVCS = f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices"
ISVC = "poster-gen"
STABLE_REVISION = "poster-gen-predictor-00001"
CANDIDATE_REVISION = "poster-gen-predictor-00002"


def inference_service(canary: int | None = 0) -> dict[str, Any]:
    """As a user applies the candidate model: a new storageUri makes KServe create revision
    00002, and canaryTrafficPercent 0 in the same edit keeps traffic on 00001."""
    predictor: dict[str, Any] = {
        "minReplicas": 1,
        "model": {
            "modelFormat": {"name": "custom"},
            "storageUri": "s3://models/poster-gen/v2",
        },
    }
    if canary is not None:
        predictor["canaryTrafficPercent"] = canary
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": ISVC,
            "namespace": NS,
            "annotations": {"serving.kserve.io/deploymentMode": "Knative"},
        },
        "spec": {"predictor": predictor},
    }


def revision_service(name: str, revision: str) -> dict[str, Any]:
    """A Service reaching one revision's pods through their queue-proxy."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "selector": {"serving.knative.dev/revision": revision},
            "ports": [{"port": 80, "targetPort": 8012}],
        },
    }


def seed_kserve_namespace(kube: Kube, *, isvc: bool = True) -> None:
    """The namespace the other routers' tests start from, with the revisions' Deployments
    and the two Services selecting one revision each."""
    seed_namespace(kube, "kserve")
    for revision in (STABLE_REVISION, CANDIDATE_REVISION):
        kube.create(DEPLOYMENTS, deployment(f"{revision}-deployment", 1, app=ISVC))
    for name, revision in (
        ("poster-stable", STABLE_REVISION),
        ("poster-candidate", CANDIDATE_REVISION),
    ):
        kube.delete(f"{SERVICES}/{name}")
        kube.create(SERVICES, revision_service(name, revision))
    if isvc:
        create_inference_service(kube)


def create_inference_service(kube: Kube, canary: int | None = 0) -> None:
    """The InferenceService just after the edit: 00001 rolled out with all traffic, 00002
    created and still starting."""
    kube.create(ISVCS, inference_service(canary))
    kube.patch(
        f"{ISVCS}/{ISVC}/status",
        {
            "status": {
                "deploymentMode": "Knative",
                "conditions": [
                    {"type": "PredictorReady", "status": "Unknown", "reason": "RevisionMissing"},
                    {"type": "Ready", "status": "Unknown"},
                ],
                "components": {
                    "predictor": {
                        "latestCreatedRevision": CANDIDATE_REVISION,
                        "latestReadyRevision": STABLE_REVISION,
                        "latestRolledoutRevision": STABLE_REVISION,
                        "traffic": [
                            {
                                "revisionName": STABLE_REVISION,
                                "latestRevision": True,
                                "percent": 100,
                            }
                        ],
                    }
                },
            }
        },
    )


def kserve_rollout(**spec_extra: Any) -> dict[str, Any]:
    doc = rollout(**spec_extra)
    doc["spec"]["stable"] = {
        "deployment": f"{STABLE_REVISION}-deployment",
        "service": "poster-stable",
    }
    doc["spec"]["candidate"]["deployment"] = f"{CANDIDATE_REVISION}-deployment"
    doc["spec"]["traffic"] = {"kserve": {"inferenceService": ISVC}}
    return doc


def routed(isvc: dict[str, Any]) -> dict[str, int]:
    """Percent per revision that gets any, as status.components.predictor.traffic reports it."""
    shares: dict[str, int] = {}
    for target in isvc["status"]["components"]["predictor"]["traffic"]:
        if target.get("percent"):
            name = target["revisionName"]
            shares[name] = shares.get(name, 0) + int(target["percent"])
    return shares


def _split(canary: int | None, rolled_out: str | None) -> list[dict[str, Any]]:
    """The traffic KServe's Knative reconciler writes into the Knative Service."""
    if canary is None or not rolled_out:
        return [{"latestRevision": True, "percent": 100}]
    split: list[dict[str, Any]] = [{"latestRevision": True, "percent": canary, "tag": "latest"}]
    if canary < 100:
        split.append(
            {
                "revisionName": rolled_out,
                "latestRevision": False,
                "percent": 100 - canary,
                "tag": "prev",
            }
        )
    return split


class KServeStandIn:
    """Stands in for the KServe controller and Knative Serving: the candidate revision turns
    ready `ready_after` seconds after start, and `delay` seconds after the spec asks for a
    new split (the time Knative takes to program the route) status.components.predictor.traffic
    reports it, resolved to revision names. Revision bookkeeping follows KServe's: a latest
    revision routed 100 % becomes latestRolledoutRevision, and one taken below 100 % while
    it is rolled out hands that back to previousRolledoutRevision. Both times may be
    changed while it runs."""

    def __init__(self, url: str, *, delay: float = 0.3, ready_after: float = 0.3) -> None:
        self.kube = Kube(url)
        self.delay = delay
        self.ready_after = ready_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kserve-stand-in", daemon=True)
        self._started = 0.0
        self._pending: list[dict[str, Any]] | None = None
        self._pending_since = 0.0

    def __enter__(self) -> KServeStandIn:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.kube.close()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._reconcile()

    def _reconcile(self) -> None:
        isvc = self.kube.get(f"{ISVCS}/{ISVC}")
        if not isvc or not (isvc.get("status") or {}).get("components"):
            return
        status = isvc["status"]
        predictor = dict(status["components"]["predictor"])
        now = time.monotonic()
        conditions = status.get("conditions") or []
        if (
            predictor["latestReadyRevision"] != predictor["latestCreatedRevision"]
            and now - self._started >= self.ready_after
        ):
            predictor["latestReadyRevision"] = predictor["latestCreatedRevision"]
            conditions = [
                {"type": "PredictorReady", "status": "True"},
                {"type": "Ready", "status": "True"},
            ]
        canary = (isvc["spec"]["predictor"] or {}).get("canaryTrafficPercent")
        traffic = [
            {
                **target,
                "revisionName": target.get("revisionName") or predictor["latestReadyRevision"],
            }
            for target in _split(canary, predictor.get("latestRolledoutRevision"))
        ]
        if traffic != predictor["traffic"]:
            if traffic != self._pending:
                self._pending, self._pending_since = traffic, now
            if now - self._pending_since >= self.delay:
                predictor["traffic"] = traffic
                self._pending = None
        _track_rollouts(predictor)
        if predictor != status["components"]["predictor"] or conditions != status.get("conditions"):
            self.kube.patch(
                f"{ISVCS}/{ISVC}/status",
                {"status": {"conditions": conditions, "components": {"predictor": predictor}}},
            )


def _track_rollouts(predictor: dict[str, Any]) -> None:
    """KServe's revision bookkeeping (InferenceServiceStatus.PropagateStatus)."""
    ready = predictor["latestReadyRevision"]
    per_revision: dict[str, int] = {}
    for target in predictor["traffic"]:
        per_revision[target["revisionName"]] = (
            per_revision.get(target["revisionName"], 0) + target["percent"]
        )
    for target in predictor["traffic"]:
        if target["revisionName"] != ready or not target.get("latestRevision"):
            continue
        if predictor.get("latestRolledoutRevision") != ready:
            if target["percent"] == 100:
                predictor["previousRolledoutRevision"] = predictor.get("latestRolledoutRevision")
                predictor["latestRolledoutRevision"] = ready
        elif (
            ready == predictor["latestCreatedRevision"]
            and target["percent"] < 100
            and per_revision[ready] == 100
            and predictor.get("previousRolledoutRevision")
        ):
            predictor["latestRolledoutRevision"] = predictor["previousRolledoutRevision"]
