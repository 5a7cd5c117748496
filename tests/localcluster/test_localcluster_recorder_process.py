"""A recorder Deployment, as the operator builds it, runs as a real local process of the
`record` command; the demo's traffic driver, standing in for the data plane, mirrors the
route's declared share of requests to it over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.evaluation.job import RolloutRef
from pixelproof.evaluation.recorder import recorder_deployment, recorder_service
from pixelproof.kube import KubeClient
from pixelproof_demo.environment import child_environment
from pixelproof_demo.generators import GeneratorProcess
from pixelproof_demo.traffic import RouteTraffic, _MirrorShare, route_mirrors
from pixelproof_localcluster import LocalCluster, LocalProcessDeployments
from pixelproof_testkit.engine import make_spec
from pixelproof_testkit.manifests import httproute
from pixelproof_testkit.polling import wait_for

IMAGE = "registry.example/pixelproof-evaluator:0.1.0"
NS = "imagegen"
DEPLOYMENT = f"/apis/apps/v1/namespaces/{NS}/deployments/poster-gen-recorder"
ROUTE = f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes"


@pytest.fixture
def processes() -> LocalProcessDeployments:
    return LocalProcessDeployments({IMAGE: []}, env=child_environment())


@pytest.fixture
def kube(processes: LocalProcessDeployments) -> Iterator[KubeClient]:
    with LocalCluster(deployment_processes=processes) as cluster:
        client = KubeClient(cluster.url)
        client.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        yield client
        client.close()


def _ready(kube: KubeClient) -> bool:
    return (kube.get(DEPLOYMENT).get("status") or {}).get("readyReplicas") == 1


def _recorder(kube: KubeClient) -> None:
    spec = ModelRolloutSpec.model_validate(
        make_spec([{"evaluate": {}}], liveTraffic={"recorder": {"maxCount": 50}})
    )
    ref = RolloutRef("poster-gen", NS, "uid-1")
    kube.create_object(recorder_service(ref))
    kube.create_object(recorder_deployment(ref, spec))


def _samples(url: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{url}/samples", params={"count": 100}, timeout=5)
    reply.raise_for_status()
    return [json.loads(line) for line in reply.text.splitlines() if line.strip()]


def test_the_recorder_runs_is_ready_when_it_answers_and_stops_when_deleted(
    kube: KubeClient, processes: LocalProcessDeployments
) -> None:
    _recorder(kube)
    wait_for(lambda: _ready(kube), 30, "the recorder to be ready")
    url = processes.url(NS, "poster-gen-recorder")
    assert url is not None and not url.endswith(":8080")
    body = {"prompt": 'a poster that says "Open Late"', "seed": 3, "size": "64x64"}
    assert httpx.post(f"{url}/generate", json=body, timeout=5).status_code == 202
    assert [s["prompt"] for s in wait_for(lambda: _samples(url), 10, "the sample")] == [
        body["prompt"]
    ]
    kube.delete(DEPLOYMENT)
    wait_for(lambda: processes.url(NS, "poster-gen-recorder") is None, 10, "the pod to go")

    def refused() -> bool:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
        except httpx.TransportError:
            return True
        return False

    wait_for(refused, 15, "the recorder process to stop")


def test_mirror_shares_are_exact() -> None:
    share = _MirrorShare()
    assert sum(share.take(20) for _ in range(100)) == 20
    share = _MirrorShare()
    assert sum(share.take(100) for _ in range(7)) == 7


def test_the_traffic_driver_mirrors_the_routes_share_to_the_recorder(
    kube: KubeClient, processes: LocalProcessDeployments
) -> None:
    _recorder(kube)
    wait_for(lambda: _ready(kube), 30, "the recorder to be ready")
    mirror = {
        "type": "RequestMirror",
        "requestMirror": {
            "backendRef": {"name": "poster-gen-recorder", "port": 8080},
            "percent": 25,
        },
    }
    route = httproute()
    route["spec"]["rules"][0]["filters"] = [mirror]
    kube.create(ROUTE, route)
    assert route_mirrors(route, "poster-stable", "poster-candidate")[0].percent == 25
    stable = GeneratorProcess("mirror-stable")
    candidate = GeneratorProcess("mirror-candidate")
    prompts = [f'a poster that says "Shop {i}"' for i in range(40)]
    traffic = RouteTraffic(
        kube.connection.server,
        NS,
        "poster-gen",
        ("poster-stable", stable.url),
        ("poster-candidate", candidate.url),
        rate=20,
        resolve=lambda service: processes.url(NS, service),
        prompts=prompts,
    ).start()
    try:
        url = processes.url(NS, "poster-gen-recorder")
        assert url is not None
        wait_for(lambda: len(_samples(url)) >= 10, 30, "ten mirrored requests")
    finally:
        report = traffic.stop()
        stable.stop()
        candidate.stop()
    counts = traffic.mirrored["poster-gen-recorder"]
    assert counts.failed == 0 and counts.accepted == counts.sent
    assert counts.sent == report.sent // 4
    recorded = {s["prompt"] for s in _samples(url)}
    assert recorded <= set(prompts) and len(recorded) >= 10
