"""Traffic routers: one module per router, all honouring routers.base.Router."""

from __future__ import annotations

from pixelproof.api.live import recorder_name
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.kube import KubeApi

from .base import Router, RouterError
from .gatewayapi import GatewayApiRouter
from .istio import IstioRouter
from .kserve import KServeRouter
from .replicas import ReplicasRouter


def router_for(
    spec: ModelRolloutSpec, api: KubeApi, namespace: str, rollout: str | None = None
) -> Router:
    """The spec's router; given the `rollout` name, it also reads and writes the mirror to
    that rollout's prompt recorder."""
    traffic = spec.traffic
    stable, candidate = spec.stable.service, spec.candidate.service
    recorder = recorder_name(rollout) if rollout is not None else None
    if traffic.gateway_api is not None:
        return GatewayApiRouter(
            api, namespace, traffic.gateway_api.http_route, stable, candidate, recorder
        )
    if traffic.istio is not None:
        return IstioRouter(
            api,
            namespace,
            traffic.istio.virtual_service,
            traffic.istio.route,
            stable,
            candidate,
            recorder,
        )
    if traffic.kserve is not None:
        return KServeRouter(
            api,
            namespace,
            traffic.kserve.inference_service,
            spec.stable.deployment,
            spec.candidate.deployment,
        )
    assert traffic.replicas is not None
    return ReplicasRouter(
        api,
        namespace,
        traffic.replicas.total_replicas,
        spec.stable.deployment,
        spec.candidate.deployment,
    )


__all__ = [
    "GatewayApiRouter",
    "IstioRouter",
    "KServeRouter",
    "ReplicasRouter",
    "Router",
    "RouterError",
    "router_for",
]
