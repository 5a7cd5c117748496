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
from .route_policies import RoutePolicies
from .weighted_object import WeightedObjectRouter


def router_for(
    spec: ModelRolloutSpec, api: KubeApi, namespace: str, rollout: str | None = None
) -> Router:
    """The spec's router; given the `rollout` name, it also reads and writes the mirror to
    that rollout's prompt recorder."""
    traffic = spec.traffic
    stable, candidate = spec.stable.service, spec.candidate.service
    recorder = recorder_name(rollout) if rollout is not None else None
    mesh: WeightedObjectRouter | None = None
    if traffic.gateway_api is not None:
        mesh = GatewayApiRouter(
            api, namespace, traffic.gateway_api.http_route, stable, candidate, recorder
        )
    elif traffic.istio is not None:
        mesh = IstioRouter(
            api,
            namespace,
            traffic.istio.virtual_service,
            traffic.istio.route,
            stable,
            candidate,
            recorder,
        )
    if mesh is not None:
        mesh.policies = RoutePolicies.of(traffic)
        return mesh
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
    "WeightedObjectRouter",
    "router_for",
]
