"""The evaluator Job the operator runs at each evaluate step."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import ApiModel


class EnvVar(ApiModel):
    name: str = Field(min_length=1)
    value: str = ""


class EvaluatorSpec(ApiModel):
    image: str = Field(min_length=1)
    image_pull_policy: str | None = Field(default=None, pattern=r"^(Always|IfNotPresent|Never)$")
    resources: dict[str, Any] = Field(
        default_factory=dict, json_schema_extra={"x-kubernetes-preserve-unknown-fields": True}
    )
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[dict[str, Any]] = Field(
        default_factory=list,
        json_schema_extra={"items": {"x-kubernetes-preserve-unknown-fields": True}},
    )
    service_account_name: str | None = None
    env: list[EnvVar] = Field(default_factory=list)
    active_deadline_seconds: int = Field(default=1800, ge=30, le=86400)
    pending_deadline_seconds: int = Field(
        default=600,
        ge=10,
        le=86400,
        description="A pod still unscheduled (no GPU free) or unable to pull its image after this long ends the run as inconclusive.",
    )
    concurrency: int = Field(
        default=4, ge=1, le=256, description="Generator requests in flight at once, per model."
    )
    reports_claim_name: str | None = Field(
        default=None,
        description="PersistentVolumeClaim mounted at /reports so full reports outlive the Job's pod.",
    )
    keep_jobs: int = Field(
        default=3,
        ge=1,
        le=50,
        description="Finished evaluator Jobs kept per rollout; older ones are deleted.",
    )
