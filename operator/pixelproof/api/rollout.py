"""The ModelRollout resource: what users write."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import ApiModel
from .errors import FieldError, raise_all
from .evaluator_job import EvaluatorSpec
from .gatesets import GATE_SETS_RULES, GateSetRef, repeated_refs
from .golden import GoldenSetSource
from .live import LiveTrafficSpec
from .metrics import MetricsSpec
from .patterns import DNS_LABEL, DNS_SUBDOMAIN, HTTP_URL, LABEL_VALUE, QUALIFIED_NAME
from .quality import QualityGates
from .rollback_window import RollbackWindow
from .steps import Step
from .traffic import TrafficSpec
from .windows import ChangeWindows
from .workloads import CandidateRef, GeneratorContract, StableRef


class RollbackPolicy(ApiModel):
    """What a rollback or deletion does."""

    scale_down_candidate: bool = Field(
        default=True, description="Scale the candidate to zero after a rollback, freeing its GPUs."
    )
    on_delete: Literal["stable", "keep"] = Field(
        default="stable",
        description="Traffic when the ModelRollout is deleted: back to stable, or left as it is.",
    )


class SecretKeyRef(ApiModel):
    """A key of a Secret."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """Secret, in the rollout's namespace."""
    key: str = Field(min_length=1)
    """Key within the Secret whose value is the webhook URL."""


NotifyOn = Literal["Succeeded", "RolledBack", "Failed"]
NOTIFY_ON: tuple[NotifyOn, ...] = ("Succeeded", "RolledBack", "Failed")


class WebhookSpec(ApiModel):
    """A Slack-compatible incoming webhook. The URL is a secret, so it can come from a Secret."""

    url: str | None = Field(default=None, pattern=HTTP_URL)
    """Webhook URL written in the spec."""
    secret_key_ref: SecretKeyRef | None = None
    """Secret key holding the webhook URL."""
    events: list[NotifyOn] = Field(
        default_factory=lambda: list(NOTIFY_ON), description="Phases that send a notification."
    )

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSpec:
        if (self.url is None) == (self.secret_key_ref is None):
            raise ValueError(WEBHOOK_RULES[0]["message"])
        return self


class NotificationsSpec(ApiModel):
    """Where notifications go."""

    webhook: WebhookSpec | None = None
    """Where to post a message when the rollout ends."""


class ModelRolloutSpec(ApiModel):
    stable: StableRef
    """The model serving today."""
    candidate: CandidateRef
    """The model being rolled out."""
    generator: GeneratorContract = Field(default_factory=GeneratorContract)
    """How the evaluator asks either model for an image."""
    traffic: TrafficSpec
    """The router that splits traffic between stable and candidate."""
    steps: list[Step] = Field(min_length=1, max_length=100)
    """Steps run in order; the rollout succeeds after the last one with all traffic on the candidate."""
    golden_set: GoldenSetSource | None = None
    """Where the golden set for evaluate steps comes from."""
    live_traffic: LiveTrafficSpec | None = Field(
        default=None,
        description="Opt-in: record real prompts (a mirrored share of live traffic, or a prompt log) for evaluate steps with source live.",
    )
    evaluator: EvaluatorSpec | None = None
    """The Job that evaluate steps run."""
    quality_gates: QualityGates = Field(default_factory=QualityGates)
    """Thresholds the evaluator judges each evaluate step's images by."""
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    """Live serving metrics that roll the candidate back when they breach."""
    gate_sets: list[GateSetRef] = Field(
        default_factory=list,
        max_length=20,
        json_schema_extra={"default": []},
        description="GateSets and ClusterGateSets whose gates this rollout uses, merged in "
        "order: a later set replaces an earlier set's gate of the same name, and a gate of "
        "the same name in spec.metrics.gates or spec.qualityGates replaces both.",
    )
    rollback: RollbackPolicy = Field(default_factory=RollbackPolicy)
    """What a rollback or deletion does to the candidate and traffic."""
    rollback_window: RollbackWindow | None = Field(
        default=None,
        description="Returning to a candidate revision fully promoted within this window "
        "(a count of revisions and/or a duration) skips the steps: it was already proven.",
    )
    notifications: NotificationsSpec = Field(default_factory=NotificationsSpec)
    """Messages sent when the rollout ends."""
    change_windows: ChangeWindows | None = Field(
        default=None,
        description="When traffic may move toward the candidate: weekly windows and freezes.",
    )
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
            any(s.evaluate is not None and s.evaluate.source == "live" for s in self.steps)
            and self.live_traffic is None,
        ]
        errors = [_rule_error(index) for index, failed in enumerate(broken) if failed]
        repeated = repeated_refs(self.gate_sets)
        if repeated:
            message = f"{GATE_SETS_RULES[0]['message']}: {', '.join(repeated)}"
            errors.append(FieldError(message, "gateSets"))
        raise_all(errors)
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
    {
        "rule": "!self.steps.exists(s, has(s.evaluate) && s.evaluate.source == 'live') || has(self.liveTraffic)",
        "message": "an evaluate step with source live needs spec.liveTraffic",
        "fieldPath": ".steps",
    },
]


def _label_key_lengths(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if len(prefix) > 253 or len(name) > 63:
        raise FieldError(
            f"{key[:40]!r}: a label key's prefix is at most 253 characters, its name 63"
        )
    return key


LabelKey = Annotated[
    str, Field(pattern=QUALIFIED_NAME, max_length=317), AfterValidator(_label_key_lengths)
]
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
