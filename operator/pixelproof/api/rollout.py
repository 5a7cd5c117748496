"""The ModelRollout resource: what users write."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .base import ApiModel
from .errors import FieldError, raise_all
from .evaluator_job import EvaluatorSpec
from .golden import GoldenSetSource
from .metrics import MetricsSpec
from .patterns import DNS_LABEL, DNS_SUBDOMAIN, HTTP_URL, LABEL_VALUE, QUALIFIED_NAME
from .quality import QualityGates
from .steps import Step
from .traffic import TrafficSpec
from .workloads import CandidateRef, GeneratorContract, StableRef


class RollbackPolicy(ApiModel):
    scale_down_candidate: bool = Field(
        default=True, description="Scale the candidate to zero after a rollback, freeing its GPUs."
    )
    on_delete: Literal["stable", "keep"] = Field(
        default="stable",
        description="Traffic when the ModelRollout is deleted: back to stable, or left as it is.",
    )


class SecretKeyRef(ApiModel):
    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    key: str = Field(min_length=1)


NotifyOn = Literal["Succeeded", "RolledBack", "Failed"]
NOTIFY_ON: tuple[NotifyOn, ...] = ("Succeeded", "RolledBack", "Failed")


class WebhookSpec(ApiModel):
    """A Slack-compatible incoming webhook. The URL is a secret, so it can come from a Secret."""

    url: str | None = Field(default=None, pattern=HTTP_URL)
    secret_key_ref: SecretKeyRef | None = None
    events: list[NotifyOn] = Field(
        default_factory=lambda: list(NOTIFY_ON), description="Phases that send a notification."
    )

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSpec:
        if (self.url is None) == (self.secret_key_ref is None):
            raise ValueError(WEBHOOK_RULES[0]["message"])
        return self


class NotificationsSpec(ApiModel):
    webhook: WebhookSpec | None = None


class ModelRolloutSpec(ApiModel):
    stable: StableRef
    candidate: CandidateRef
    generator: GeneratorContract = Field(default_factory=GeneratorContract)
    traffic: TrafficSpec
    steps: list[Step] = Field(min_length=1, max_length=100)
    golden_set: GoldenSetSource | None = None
    evaluator: EvaluatorSpec | None = None
    quality_gates: QualityGates = Field(default_factory=QualityGates)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    rollback: RollbackPolicy = Field(default_factory=RollbackPolicy)
    notifications: NotificationsSpec = Field(default_factory=NotificationsSpec)
    progress_deadline_seconds: int = Field(
        default=600,
        ge=10,
        le=604800,
        description="A rollout held (no data, weights unverified, candidate not ready, evaluation inconclusive) longer than this fails and returns traffic to stable. Pauses for a person never count.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ModelRolloutSpec:
        weights = [s.set_weight for s in self.steps if s.set_weight is not None]
        broken = [
            weights != sorted(weights),
            any(s.evaluate is not None for s in self.steps)
            and (self.golden_set is None or self.evaluator is None),
            self.stable.service == self.candidate.service,
            self.stable.deployment == self.candidate.deployment,
        ]
        raise_all([_rule_error(index) for index, failed in enumerate(broken) if failed])
        return self


def _rule_error(index: int) -> FieldError:
    """SPEC_RULES[index] failed: its message, at the field its CEL rule names."""
    rule = SPEC_RULES[index]
    return FieldError(rule["message"], *rule["fieldPath"].strip(".").split("."))


WEBHOOK_RULES = [
    {
        "rule": "has(self.url) != has(self.secretKeyRef)",
        "message": "notifications.webhook needs exactly one of url or secretKeyRef",
    }
]

SPEC_RULES = [
    {
        "rule": "self.steps.filter(s, has(s.setWeight)).map(s, s.setWeight).isSorted()",
        "message": "steps: setWeight values must not decrease",
        "fieldPath": ".steps",
    },
    {
        "rule": "!self.steps.exists(s, has(s.evaluate)) || (has(self.goldenSet) && has(self.evaluator))",
        "message": "an evaluate step needs spec.goldenSet and spec.evaluator",
        "fieldPath": ".steps",
    },
    {
        "rule": "self.stable.service != self.candidate.service",
        "message": "stable and candidate must use different Services",
        "fieldPath": ".candidate.service",
    },
    {
        "rule": "self.stable.deployment != self.candidate.deployment",
        "message": "stable and candidate must be different Deployments",
        "fieldPath": ".candidate.deployment",
    },
]


LabelKey = Annotated[str, Field(pattern=QUALIFIED_NAME, max_length=317)]
LabelValue = Annotated[str, Field(pattern=LABEL_VALUE, max_length=63)]


class ObjectMeta(ApiModel):
    """The metadata the engine reads, checked as the API server checks it; the rest passes
    through untouched."""

    model_config = ApiModel.model_config | {"extra": "allow"}

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    namespace: str = Field(default="default", pattern=DNS_LABEL, max_length=63)
    generation: int = 1
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[LabelKey, str] = Field(default_factory=dict)


class ModelRollout(ApiModel):
    api_version: Literal["pixelproof.dev/v1alpha1"] = "pixelproof.dev/v1alpha1"
    kind: Literal["ModelRollout"] = "ModelRollout"
    metadata: ObjectMeta
    spec: ModelRolloutSpec
    status: dict[str, Any] | None = None
