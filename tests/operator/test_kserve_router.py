"""The kserve router on its own against the local API server: what it reads from an
InferenceService's status, and the splits it refuses to write because KServe would give
them to other revisions than stable and candidate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from pixelproof.api.status import STABLE_ONLY, Weights
from pixelproof.kube import KubeApi, load_connection
from pixelproof.routers import KServeRouter, RouterError
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kserve import (
    CANDIDATE_REVISION,
    ISVC,
    ISVCS,
    STABLE_REVISION,
    create_inference_service,
    inference_service,
)
from pixelproof_testkit.kube import NS, Kube
from pixelproof_testkit.manifests import create_namespace

T = TypeVar("T")

STABLE = f"{STABLE_REVISION}-deployment"
CANDIDATE = f"{CANDIDATE_REVISION}-deployment"


@pytest.fixture
def run(cluster: LocalCluster, kube: Kube) -> Callable[..., Any]:
    create_namespace(kube)

    def call(
        use: Callable[[KServeRouter], Coroutine[Any, Any, T]],
        stable: str = STABLE,
        candidate: str = CANDIDATE,
    ) -> T:
        async def main() -> T:
            api = KubeApi(load_connection(str(cluster.kubeconfig_path)))
            try:
                return await use(KServeRouter(api, NS, ISVC, stable, candidate))
            finally:
                await api.close()

        return asyncio.run(main())

    return call


def _predictor(kube: Kube, **fields: Any) -> None:
    kube.patch(f"{ISVCS}/{ISVC}/status", {"status": {"components": {"predictor": fields}}})


def test_a_missing_inference_service_is_named(run: Callable[..., Any]) -> None:
    reading = run(lambda r: r.read_weights())
    assert reading.error == f"InferenceService {NS}/{ISVC} not found"
    with pytest.raises(RouterError, match="not found"):
        run(lambda r: r.set_weights(STABLE_ONLY))


def test_weights_sum_each_revision_and_count_others(run: Callable[..., Any], kube: Kube) -> None:
    create_inference_service(kube)
    reading = run(lambda r: r.read_weights())
    assert reading.weights == STABLE_ONLY and reading.error is None
    # 00002 is created but not ready: the candidate is not ready either.
    assert reading.candidate_ready is False
    _predictor(
        kube,
        latestReadyRevision=CANDIDATE_REVISION,
        traffic=[
            {"latestRevision": True, "percent": 20, "tag": "latest"},
            {"revisionName": STABLE_REVISION, "latestRevision": False, "percent": 70},
            {"revisionName": "poster-gen-predictor-00000", "percent": 10},
        ],
    )
    reading = run(lambda r: r.read_weights())
    # A target without revisionName follows latestReadyRevision, as Knative resolves it.
    assert reading.weights == Weights(stable=70, candidate=20)
    # PredictorReady is not True yet.
    assert reading.candidate_ready is False
    kube.patch(
        f"{ISVCS}/{ISVC}/status",
        {"status": {"conditions": [{"type": "PredictorReady", "status": "True"}]}},
    )
    assert run(lambda r: r.read_weights()).candidate_ready is True


def test_a_newer_revision_than_the_candidate_stalls_and_refuses_weight(
    run: Callable[..., Any], kube: Kube
) -> None:
    create_inference_service(kube)
    _predictor(kube, latestCreatedRevision="poster-gen-predictor-00003")
    reading = run(lambda r: r.read_weights())
    assert reading.error is not None
    assert "latest predictor revision is poster-gen-predictor-00003" in reading.error
    assert reading.weights == STABLE_ONLY
    with pytest.raises(RouterError, match="is not its latest predictor revision"):
        run(lambda r: r.set_weights(Weights(stable=90, candidate=10)))
    # Taking traffic away from the latest revision is always allowed.
    run(lambda r: r.set_weights(STABLE_ONLY))
    assert kube.get(f"{ISVCS}/{ISVC}")["spec"]["predictor"]["canaryTrafficPercent"] == 0


def test_a_split_whose_remainder_misses_stable_is_refused(
    run: Callable[..., Any], kube: Kube
) -> None:
    create_inference_service(kube)
    _predictor(kube, latestRolledoutRevision="poster-gen-predictor-00000")
    with pytest.raises(
        RouterError, match=r"latestRolledoutRevision \(poster-gen-predictor-00000\)"
    ):
        run(lambda r: r.set_weights(Weights(stable=50, candidate=50)))
    # All of it to the candidate leaves nothing for KServe to send elsewhere.
    run(lambda r: r.set_weights(Weights(stable=0, candidate=100)))
    assert kube.get(f"{ISVCS}/{ISVC}")["spec"]["predictor"]["canaryTrafficPercent"] == 100


def test_only_canary_traffic_percent_is_written(run: Callable[..., Any], kube: Kube) -> None:
    create_inference_service(kube)
    before = kube.get(f"{ISVCS}/{ISVC}")
    run(lambda r: r.set_weights(Weights(stable=90, candidate=10)))
    after = kube.get(f"{ISVCS}/{ISVC}")
    assert after["spec"]["predictor"].pop("canaryTrafficPercent") == 10
    before["spec"]["predictor"].pop("canaryTrafficPercent")
    assert after["spec"] == before["spec"]
    assert after["status"] == before["status"]


@pytest.mark.parametrize(
    ("annotation", "status_mode", "shown"),
    [("Standard", None, "Standard"), ("RawDeployment", "RawDeployment", "RawDeployment")],
)
def test_raw_deployment_mode_has_no_canary_and_stalls(
    run: Callable[..., Any], kube: Kube, annotation: str, status_mode: str | None, shown: str
) -> None:
    isvc = inference_service()
    isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = annotation
    kube.create(ISVCS, isvc)
    if status_mode is not None:
        kube.patch(f"{ISVCS}/{ISVC}/status", {"status": {"deploymentMode": status_mode}})
    reading = run(lambda r: r.read_weights())
    assert reading.weights is None
    assert reading.error == (
        f"InferenceService {NS}/{ISVC} runs in {shown} mode: canaryTrafficPercent splits "
        "traffic between predictor revisions only in Knative (Serverless) mode"
    )


def test_no_traffic_status_yet_stalls(run: Callable[..., Any], kube: Kube) -> None:
    isvc = inference_service()
    del isvc["metadata"]["annotations"]
    kube.create(ISVCS, isvc)
    reading = run(lambda r: r.read_weights())
    assert reading.error is not None and "reports no predictor traffic" in reading.error


def test_deployments_that_are_not_revisions_are_named(run: Callable[..., Any], kube: Kube) -> None:
    create_inference_service(kube)
    reading = run(lambda r: r.read_weights(), candidate="poster-v2")
    assert reading.error == (
        f"InferenceService {NS}/{ISVC}: candidate.deployment poster-v2 is not a Knative "
        "revision's Deployment (<revision>-deployment)"
    )
    with pytest.raises(RouterError, match=r"candidate\.deployment poster-v2"):
        run(lambda r: r.set_weights(Weights(stable=90, candidate=10)), candidate="poster-v2")
    run(lambda r: r.set_weights(STABLE_ONLY), candidate="poster-v2")
    assert kube.get(f"{ISVCS}/{ISVC}")["spec"]["predictor"]["canaryTrafficPercent"] == 0
