"""Traffic routers: exactly one says how weight moves between stable and candidate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import ApiModel
from .patterns import DNS_LABEL
from .traffic_policies import CanaryHeader, GpuBudget, SessionAffinity

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
    gpu_budget: GpuBudget | None = Field(
        default=None,
        description="gatewayAPI and istio only: stable and candidate replicas together never exceed a fixed total.",
    )
    session_affinity: SessionAffinity | None = Field(
        default=None,
        description="gatewayAPI (cookie or header) and istio (cookie) only: a user stays on one model for the whole rollout.",
    )
    canary_headers: list[CanaryHeader] = Field(
        default_factory=list,
        max_length=8,
        description="gatewayAPI and istio only: requests carrying one of these headers go to the candidate from the first step, before user traffic moves; removed when the rollout ends.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> TrafficSpec:
        routers = ("gateway_api", "istio", "kserve", "replicas")
        chosen = [k for k in routers if getattr(self, k) is not None]
        mesh = self.gateway_api is not None or self.istio is not None
        broken = [
            len(chosen) != 1,
            self.gpu_budget is not None and not mesh,
            self.session_affinity is not None and not mesh,
            bool(self.canary_headers) and not mesh,
            self.istio is not None
            and self.session_affinity is not None
            and self.session_affinity.header is not None,
        ]
        messages = [TRAFFIC_RULES[i]["message"] for i, failed in enumerate(broken) if failed]
        if messages:
            raise ValueError("; ".join(messages))
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
    },
    {
        "rule": "!has(self.gpuBudget) || has(self.gatewayAPI) || has(self.istio)",
        "message": "traffic.gpuBudget needs a mesh router (gatewayAPI or istio); the replicas router has its own totalReplicas and kserve sizes its revisions itself",
    },
    {
        "rule": "!has(self.sessionAffinity) || has(self.gatewayAPI) || has(self.istio)",
        "message": "traffic.sessionAffinity needs a mesh router (gatewayAPI or istio): the replicas and kserve routers cannot pin a session to one model",
    },
    {
        "rule": "!has(self.canaryHeaders) || size(self.canaryHeaders) == 0 || has(self.gatewayAPI) || has(self.istio)",
        "message": "traffic.canaryHeaders needs a mesh router (gatewayAPI or istio): the replicas and kserve routers cannot route by header",
    },
    {
        "rule": "!has(self.istio) || !has(self.sessionAffinity) || !has(self.sessionAffinity.header)",
        "message": "traffic.sessionAffinity.header: the istio router pins sessions with a cookie only (a VirtualService cannot hash a header across two hosts)",
    },
]
