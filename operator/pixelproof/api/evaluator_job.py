"""The evaluator Job the operator runs at each evaluate step."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema

from .base import ApiModel
from .errors import FieldError
from .patterns import PULL_POLICY, QUANTITY


def _quantities(description: str) -> dict[str, object]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {
            "x-kubernetes-int-or-string": True,
            "pattern": QUANTITY,
            "minimum": 0,
        },
    }


RESOURCES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "limits": _quantities(
            "Most of each resource the evaluator may use, e.g. nvidia.com/gpu: 1."
        ),
        "requests": _quantities("Resources the scheduler reserves for the evaluator pod."),
        "claims": {
            "type": "array",
            "description": "Dynamic resource claims the evaluator container uses, by name.",
            "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    },
}


def _is_quantity(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and re.fullmatch(QUANTITY, value) is not None


def _check_resources(resources: dict[str, Any]) -> dict[str, Any]:
    """The container resources a Pod accepts: the evaluator Job would be refused otherwise."""
    unknown = sorted(set(resources) - set(RESOURCES_SCHEMA["properties"]))
    if unknown:
        raise FieldError(f"unknown field {', '.join(repr(k) for k in unknown)}")
    for kind in ("limits", "requests"):
        amounts = resources.get(kind, {})
        if not isinstance(amounts, dict):
            raise FieldError("must be an object of resource names to quantities", kind)
        for name, amount in amounts.items():
            if not _is_quantity(amount):
                shown = repr(amount)[:40]
                raise FieldError(
                    f"{shown} is not a resource quantity: a non-negative integer, "
                    "or a string such as 500m or 16Gi",
                    kind,
                    name,
                )
    if not isinstance(resources.get("claims", []), list):
        raise FieldError("must be a list", "claims")
    return resources


Resources = Annotated[
    dict[str, Any], AfterValidator(_check_resources), WithJsonSchema(RESOURCES_SCHEMA)
]


class EnvVar(ApiModel):
    """An environment variable."""

    name: str = Field(min_length=1)
    """Environment variable name."""
    value: str = ""
    """Its value."""


class EvaluatorSpec(ApiModel):
    """The evaluator Job: image, resources and scheduling."""

    image: str = Field(min_length=1)
    """Evaluator container image."""
    image_pull_policy: str | None = Field(default=None, pattern=PULL_POLICY)
    """Pull policy of the evaluator container: Always, IfNotPresent or Never."""
    resources: Resources = Field(default_factory=dict)
    """Container resources of the evaluator (limits and requests); set nvidia.com/gpu to run LPIPS on a GPU."""
    node_selector: dict[str, str] = Field(default_factory=dict)
    """Node labels the evaluator pod must be scheduled on."""
    tolerations: list[dict[str, Any]] = Field(
        default_factory=list,
        json_schema_extra={"items": {"x-kubernetes-preserve-unknown-fields": True}},
    )
    """Tolerations of the evaluator pod, e.g. for tainted GPU nodes."""
    service_account_name: str | None = None
    """ServiceAccount the evaluator pod runs as; the namespace's default when unset."""
    env: list[EnvVar] = Field(default_factory=list)
    """Extra environment variables for the evaluator container."""
    active_deadline_seconds: int = Field(default=1800, ge=30, le=86400)
    """The evaluator Job's activeDeadlineSeconds: a run taking longer is stopped and ends inconclusive."""
    pending_deadline_seconds: int = Field(
        default=600,
        ge=10,
        le=86400,
        description="A pod still unscheduled (no GPU free) or unable to pull its image after this long ends the run as inconclusive.",
    )
    concurrency: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Generator requests in flight at once, per model. Unset, one per ready "
        "replica of the candidate when the evaluation starts, so the evaluator keeps every "
        "candidate replica busy and no more.",
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
