"""What the operator saw of the world, handed to the engine. Plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pixelproof.api.commands import Command
from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.status import Weights
from pixelproof.api.verdicts import EvaluationState


@dataclass(frozen=True)
class RouterReading:
    """Weights read back from the router. `error` names what is wrong (a missing
    HTTPRoute, no backendRef for the candidate Service) and blocks progress."""

    weights: Weights | None = None
    error: str | None = None
    candidate_ready: bool | None = None
    """From a router that judges the candidate's readiness itself (KServe: the revision's
    status, since Knative sizes its Deployment); None leaves it to the candidate Deployment."""
    mirror: int | None = None
    """Percent of the route's requests mirrored to the rollout's prompt recorder; None when
    none are (api.live.MIXED_MIRROR when its rules disagree)."""
    policies_active: bool | None = None
    """Whether the header canary and session affinity routes the spec declares are in place;
    None when it declares none."""


@dataclass(frozen=True)
class RecorderReading:
    """The rollout's prompt recorder Deployment and Service, as found in the cluster."""

    exists: bool = False
    ready: bool = False
    foreign: str | None = None
    """An object of the recorder's name that the rollout does not own, in words: it blocks
    the recorder, and is never deleted."""


@dataclass(frozen=True)
class CandidateReading:
    ready: bool = False
    ready_replicas: int = 0
    replicas: int = 0
    error: str | None = None
    template: str | None = None
    """Digest of the candidate Deployment's pod template: what runs, for the rollback window."""


@dataclass(frozen=True)
class EvaluationReading:
    """The evaluator Job of the current step, as found in the cluster."""

    job: str
    state: EvaluationState
    message: str = ""
    summary: EvaluationSummary | None = None


@dataclass(frozen=True)
class MetricSample:
    """One query of one gate. value None with no error means the query returned no data."""

    gate: str
    query: str
    value: float | None = None
    error: str | None = None
    stable_query: str | None = None
    stable_value: float | None = None
    rejected: bool = False
    """The provider refused the query itself (bad PromQL): a spec problem, not an outage."""
    requests: float | None = None
    """The candidate's requests in the rate window, for a gate with minRequests; None when
    not counted. A query that returned no data counts none."""


@dataclass(frozen=True)
class CampaignFreeze:
    """A freeze declared once for many rollouts (a labelled ConfigMap), as the operator read
    it. `problem` says why it could not be read; the engine then treats it as in force."""

    source: str
    start: datetime | None = None
    end: datetime | None = None
    reason: str = ""
    problem: str | None = None


@dataclass(frozen=True)
class Observations:
    generation: int = 1
    router: RouterReading = field(default_factory=RouterReading)
    candidate: CandidateReading = field(default_factory=CandidateReading)
    recorder: RecorderReading = field(default_factory=RecorderReading)
    stable: CandidateReading = field(default_factory=CandidateReading)
    """The stable Deployment, read only when traffic.gpuBudget shares replicas with it."""
    evaluation: EvaluationReading | None = None
    metrics: tuple[MetricSample, ...] = ()
    commands: dict[Command, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    """Missing or broken objects the rollout needs (a Service, the stable Deployment): hold, Stalled."""
    freezes: tuple[CampaignFreeze, ...] = ()
    """Campaign freezes of the rollout's namespace and of the cluster, active or not."""
    promoted_by: str | None = None
    """Who set the promote annotation, when the operator could tell."""
