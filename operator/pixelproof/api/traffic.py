"""Traffic routers: exactly one says how weight moves between stable and candidate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import ApiModel
from .patterns import DNS_LABEL

RouterKind = Literal["gatewayAPI", "istio", "kserve", "replicas"]
MIRRORING_ROUTERS: frozenset[RouterKind] = frozenset({"gatewayAPI", "istio"})
"""Routers whose route can copy requests to a second backend (the prompt recorder)."""


class GatewayAPIRouter(ApiModel):
    """An HTTPRoute whose rule has backendRefs to the stable and candidate Services."""

    http_route: str = Field(pattern=DNS_LABEL, max_length=63)
    """Name of the HTTPRoute, in the rollout's namespace, whose backendRef weights pixelproof sets."""


class IstioRouter(ApiModel):
    """A VirtualService whose HTTP route has destinations for both Services."""

    virtual_service: str = Field(pattern=DNS_LABEL, max_length=63)
    """Name of the VirtualService, in the rollout's namespace, whose destination weights pixelproof sets."""
    route: str | None = Field(
        default=None,
        description="Name of the HTTP route; the first one that routes to both hosts when unset.",
    )


class KServeRouter(ApiModel):
    """A serverless InferenceService whose predictor canaryTrafficPercent sets the candidate's share."""

    inference_service: str = Field(
        pattern=DNS_LABEL,
        max_length=63,
        description="In the rollout's namespace. stable.deployment and candidate.deployment name the Deployments of its two predictor revisions, <revision>-deployment.",
    )


class ReplicasRouter(ApiModel):
    """No mesh: both Deployments sit behind one Service and weight follows the ready-replica ratio."""

    total_replicas: int = Field(
        ge=2, le=1000, description="Pods across stable and candidate together."
    )


class TrafficSpec(ApiModel):
    """How traffic moves between stable and candidate: exactly one of gatewayAPI, istio or replicas."""

    gateway_api: GatewayAPIRouter | None = Field(default=None, alias="gatewayAPI")
    istio: IstioRouter | None = None
    kserve: KServeRouter | None = None
    replicas: ReplicasRouter | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TrafficSpec:
        routers = ("gateway_api", "istio", "kserve", "replicas")
        chosen = [k for k in routers if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(TRAFFIC_RULES[0]["message"])
        return self

    @property
    def kind(self) -> RouterKind:
        if self.gateway_api is not None:
            return "gatewayAPI"
        if self.istio is not None:
            return "istio"
        if self.kserve is not None:
            return "kserve"
        return "replicas"


TRAFFIC_RULES = [
    {
        "rule": "(has(self.gatewayAPI) ? 1 : 0) + (has(self.istio) ? 1 : 0) + (has(self.kserve) ? 1 : 0) + (has(self.replicas) ? 1 : 0) == 1",
        "message": "traffic must name exactly one router: gatewayAPI, istio, kserve or replicas",
    }
]
