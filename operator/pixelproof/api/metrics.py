"""Metric gates: PromQL templates judged against live serving metrics during the rollout."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import Field, model_validator

from .base import ApiModel
from .durations import Interval
from .errors import FieldError, raise_all
from .patterns import DNS_LABEL, HTTP_URL

NoDataPolicy = Literal["hold", "fail"]


class PrometheusProvider(ApiModel):
    """The Prometheus that serves the gate queries."""

    address: str = Field(pattern=HTTP_URL)
    """Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090."""
    timeout_seconds: float = Field(default=10, gt=0, le=120)
    """Seconds a query may take before it counts as a provider error."""


class RelativeToStable(ApiModel):
    """The same query run for the stable model; the candidate value is judged against a multiple of it."""

    max_ratio: float | None = Field(default=None, gt=0)
    """Breach when the candidate value exceeds stable's value times this."""
    min_ratio: float | None = Field(default=None, gt=0)
    """Breach when the candidate value falls below stable's value times this."""
    min_difference: float | None = Field(
        default=None,
        ge=0,
        description=(
            "A breach must also differ from stable by more than this, in the metric's unit: "
            "doubling a 20 ms baseline is noise for a model that takes seconds."
        ),
    )

    @model_validator(mode="after")
    def _bounds(self) -> RelativeToStable:
        if self.max_ratio is None and self.min_ratio is None:
            raise FieldError(RELATIVE_RULES[0]["message"])
        if (
            self.max_ratio is not None
            and self.min_ratio is not None
            and self.min_ratio > self.max_ratio
        ):
            raise FieldError(RELATIVE_RULES[1]["message"])
        return self


class MetricGate(ApiModel):
    """A PromQL query judged against bounds every interval while the candidate has traffic."""

    name: str = Field(pattern=DNS_LABEL, max_length=63)
    """Gate name, unique in the rollout; used in status, events and metrics."""
    template: str | None = Field(
        default=None,
        description="A built-in query template by name; see the README's gate catalogue.",
    )
    query: str | None = Field(
        default=None, description="PromQL with {{variables}}; overrides the template's query."
    )
    min: float | None = None
    """Breach when the value is below this."""
    max: float | None = None
    """Breach when the value is above this."""
    relative_to_stable: RelativeToStable | None = None
    interval: Interval | None = Field(
        default=None, description="How often to query; the metrics interval when unset."
    )
    failure_limit: int = Field(
        default=1, ge=1, le=100, description="Consecutive breaches that roll back."
    )
    critical: bool = Field(
        default=False, description="Roll back on the first breach, whatever failureLimit says."
    )
    on_no_data: NoDataPolicy = Field(
        default="hold",
        description="hold: wait (never promote) until data returns or the progress deadline; fail: count as a breach.",
    )
    max_consecutive_errors: int | None = Field(
        default=None,
        ge=1,
        description="Provider errors in a row (Prometheus down) that fail the gate; when unset they hold until the progress deadline.",
    )
    dry_run: bool | None = Field(
        default=None,
        description="Judge and record the gate (status, Events, metrics) but never hold, roll "
        "back or fail the rollout on its verdict.",
    )
    min_requests: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Candidate requests in the rate window below which the gate holds "
        "(Inconclusive) instead of judging: the median of three requests is whichever was "
        "slowest to warm up. The latency and per-image templates set one.",
    )
    requests_query: str | None = Field(
        default=None,
        description="PromQL with {{variables}} counting the candidate's requests in the rate "
        "window, for minRequests; the template's when unset.",
    )

    @model_validator(mode="after")
    def _has_query_and_bound(self) -> MetricGate:
        broken = [
            self.template is None and self.query is None,
            self.template is None
            and self.min is None
            and self.max is None
            and self.relative_to_stable is None,
            self.min is not None and self.max is not None and self.min > self.max,
            self.min_requests is not None and self.template is None and self.requests_query is None,
        ]
        raise_all(
            [FieldError(METRIC_GATE_RULES[i]["message"]) for i, bad in enumerate(broken) if bad]
        )
        return self


class MetricsSpec(ApiModel):
    """Metric gates and the Prometheus they query."""

    prometheus: PrometheusProvider | None = None
    """The Prometheus that metric gates query."""
    interval: Interval = "30s"
    """How often every gate is queried unless it sets its own interval (1s to 24h)."""
    price_per_gpu_hour: float | None = Field(
        default=None, ge=0, description="Used by the cost-per-1k-images template."
    )
    gates: list[MetricGate] = Field(
        default_factory=list, max_length=50, json_schema_extra={"default": []}
    )
    """Metric gates judged from the first step that gives the candidate traffic until the rollout ends."""

    @model_validator(mode="after")
    def _provider_and_unique_names(self) -> MetricsSpec:
        errors = []
        if self.gates and self.prometheus is None:
            errors.append(FieldError(METRICS_RULES[0]["message"]))
        names = Counter(g.name for g in self.gates)
        repeated = [f"{name!r} is used {count} times" for name, count in names.items() if count > 1]
        if repeated:
            message = f"{METRICS_RULES[1]['message']}: {', '.join(repeated)}"
            errors.append(FieldError(message, "gates"))
        raise_all(errors)
        return self


RELATIVE_RULES = [
    {
        "rule": "has(self.maxRatio) || has(self.minRatio)",
        "message": "relativeToStable needs maxRatio or minRatio",
    },
    {
        "rule": "!has(self.minRatio) || !has(self.maxRatio) || self.minRatio <= self.maxRatio",
        "message": "minRatio must not be greater than maxRatio",
    },
]


METRIC_GATE_RULES = [
    {
        "rule": "has(self.query) || has(self.template)",
        "message": "a metric gate needs a query or a template",
    },
    {
        "rule": "has(self.template) || has(self.min) || has(self.max) || has(self.relativeToStable)",
        "message": "a metric gate with its own query needs min, max or relativeToStable",
    },
    {
        "rule": "!has(self.min) || !has(self.max) || self.min <= self.max",
        "message": "min must not be greater than max",
    },
    {
        "rule": "!has(self.minRequests) || has(self.template) || has(self.requestsQuery)",
        "message": "minRequests needs a requestsQuery to count the candidate's requests, or a "
        "template that has one",
    },
]
METRICS_RULES = [
    {
        "rule": "!has(self.gates) || size(self.gates) == 0 || has(self.prometheus)",
        "message": "metric gates need a metrics provider: set metrics.prometheus",
    },
    {
        "rule": "!has(self.gates) || self.gates.all(g, self.gates.exists_one(h, h.name == g.name))",
        "message": "metric gate names must be unique",
        "fieldPath": ".gates",
    },
]
