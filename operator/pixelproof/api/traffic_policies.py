"""Traffic policies a mesh router applies next to the weights: a fixed GPU budget shared
by both Deployments, sticky sessions, and header canaries."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import ApiModel

HTTP_HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
COOKIE_NAME = HTTP_HEADER_NAME


class GpuBudget(ApiModel):
    """Stable and candidate share a fixed number of replicas (GPUs): the candidate grows only
    as stable shrinks, in step with the weights."""

    total_replicas: int = Field(
        ge=2,
        le=1000,
        description="Replicas across stable and candidate together; their desired replicas never exceed it. Replaces candidate.replicas.",
    )
    scale_down_delay_seconds: int = Field(
        default=30,
        ge=0,
        le=3600,
        description="Seconds a Deployment keeps its pods after traffic moved off them, so in-flight requests finish before its replicas shrink.",
    )


class CookieAffinity(ApiModel):
    """Pin a session by a cookie the mesh sets on the first response."""

    name: str = Field(default="pixelproof-model", pattern=COOKIE_NAME, max_length=128)
    """Name of the cookie."""


class HeaderAffinity(ApiModel):
    """Pin a session by a request header the client sends (a user or session id)."""

    name: str = Field(pattern=HTTP_HEADER_NAME, max_length=128)
    """Name of the header."""


class SessionAffinity(ApiModel):
    """Keep a user on one model for the whole rollout: exactly one of cookie or header."""

    cookie: CookieAffinity | None = None
    header: HeaderAffinity | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SessionAffinity:
        if (self.cookie is None) == (self.header is None):
            raise ValueError(SESSION_AFFINITY_RULES[0]["message"])
        return self


class CanaryHeader(ApiModel):
    """Requests carrying this header with this value go to the candidate from the first step,
    before any user traffic moves."""

    name: str = Field(pattern=HTTP_HEADER_NAME, max_length=128)
    """Header name, e.g. x-canary."""
    value: str = Field(min_length=1, max_length=256)
    """Exact header value, e.g. "true"."""


def replica_plan(total: int, candidate_weight: int) -> tuple[int, int]:
    """(stable, candidate) pods for a weight: at least one candidate pod while the weight is
    above 0, at least one stable pod while it is below 100."""
    if candidate_weight <= 0:
        return total, 0
    if candidate_weight >= 100:
        return 0, total
    candidate = min(max(round(total * candidate_weight / 100), 1), total - 1)
    return total - candidate, candidate


SESSION_AFFINITY_RULES = [
    {
        "rule": "has(self.cookie) != has(self.header)",
        "message": "traffic.sessionAffinity needs exactly one of cookie or header",
    }
]
