"""The stable and candidate generators, and the HTTP contract both honour."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import ApiModel
from .patterns import DNS_LABEL, DNS_SUBDOMAIN, URL_PATH

EVALUATION_HEADER = "X-Pixelproof-Evaluation"
"""Set on every request the evaluator sends. Generators keep these requests out of their
serving metrics: the evaluator's bursts on a one-replica candidate would otherwise read as
a latency regression to the metric gates and roll a good model back."""


class StableRef(ApiModel):
    """The model serving today. pixelproof never scales or edits its Deployment."""

    deployment: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """Deployment of the stable model, in the rollout's namespace."""
    service: str = Field(pattern=DNS_LABEL, max_length=63)
    """Service in front of the stable Deployment; the router sends stable's share of traffic here."""


class CandidateRef(ApiModel):
    """The model under test. Its capacity is set here, independent of its traffic weight,
    because GPUs are scarce and a 1 % step must not need the stable model's fleet."""

    deployment: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """Deployment of the candidate model; pixelproof scales it and scales it down after a rollback."""
    service: str = Field(pattern=DNS_LABEL, max_length=63)
    """Service in front of the candidate Deployment; the router sends candidate's share of traffic here."""
    replicas: int = Field(default=1, ge=1, le=1000)
    """Candidate replicas while the rollout runs, whatever its traffic weight."""


class GeneratorContract(ApiModel):
    """How to ask either model for an image: POST {path} with the fixed request fields
    plus prompt, seed and size from each golden item; the reply body is the image.
    Evaluator requests carry the X-Pixelproof-Evaluation header."""

    path: str = Field(default="/generate", pattern=URL_PATH)
    """HTTP path both models serve image generation on."""
    port: int = Field(default=80, ge=1, le=65535)
    """Port of both Services that the evaluator sends requests to."""
    request: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    """Fixed JSON fields sent with every evaluator request, next to each golden item's prompt, seed and size."""
    timeout_seconds: float = Field(default=60, gt=0, le=3600)
    """Seconds the evaluator waits for one image before counting the request as failed."""
