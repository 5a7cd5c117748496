"""ModelRollout status: all rollout state lives here, so a restarted operator resumes exactly."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import StatusModel
from .evaluation import GateVerdict
from .review import ReviewStatus
from .rollback_window import PromotedRevision
from .verdicts import EvaluationState, Verdict
from .windows import WindowHold

Phase = Literal["Pending", "Progressing", "Paused", "Succeeded", "RolledBack", "Failed"]
TERMINAL_PHASES: frozenset[str] = frozenset({"Succeeded", "RolledBack", "Failed"})
ConditionStatus = Literal["True", "False", "Unknown"]
RollbackCause = Literal["GateFailed", "EvaluationFailed", "Aborted", "ProgressDeadlineExceeded"]


class Weights(StatusModel):
    """Traffic split, percent."""

    stable: int = Field(default=100, ge=0, le=100)
    """Percentage of traffic on stable."""
    candidate: int = Field(default=0, ge=0, le=100)
    """Percentage of traffic on the candidate."""


STABLE_ONLY = Weights(stable=100, candidate=0)
CANDIDATE_ONLY = Weights(stable=0, candidate=100)


class Condition(StatusModel):
    """A standard Kubernetes condition."""

    type: str
    """Condition type: Ready, Stalled or Reconciling."""
    status: ConditionStatus
    """True, False or Unknown."""
    reason: str
    """One word, CamelCase, for machines."""
    message: str = ""
    """What happened, for people."""
    observed_generation: int = 0
    """metadata.generation the condition was set for."""
    last_transition_time: str
    """When status last changed, RFC 3339."""


class GateStatus(StatusModel):
    """A metric gate's latest judgement, as run."""

    name: str
    """The metric gate's name."""
    query: str = ""
    """The candidate query as last run."""
    stable_query: str | None = None
    """The stable query as last run, for a relativeToStable gate."""
    value: float | None = None
    """The candidate value last read."""
    stable_value: float | None = None
    """The stable value last read."""
    threshold: str = ""
    """The bound judged against, in words."""
    verdict: Verdict = "Pending"
    """Pass, Fail, Inconclusive or Pending."""
    message: str = ""
    """Why the verdict, in words."""
    consecutive_breaches: int = 0
    """Breaches in a row; failureLimit of them roll back."""
    consecutive_errors: int = 0
    """Provider errors in a row."""
    last_time: str | None = None
    """When the gate was last judged, RFC 3339."""
    dry_run: bool | None = None
    """True for a dry-run gate: judged and recorded, never enforced."""


class EvaluationStatus(StatusModel):
    """An evaluation run and its verdict."""

    step: int
    """Index of the evaluate step (0-based)."""
    attempt: int = 1
    """Which run of this step it is, from 1."""
    job: str
    """Name of the evaluator Job."""
    state: EvaluationState = "Running"
    """Running, Pass, Fail or Inconclusive."""
    started_at: str
    """When the Job was started, RFC 3339."""
    finished_at: str | None = None
    """When the verdict was read, RFC 3339."""
    message: str = ""
    """The evaluator's reason for its verdict."""
    gates: list[GateVerdict] = Field(default_factory=list)
    """Each quality gate's verdict."""
    scores: dict[str, float] = Field(default_factory=dict)
    """Summary scores by name (e.g. lpipsMean)."""
    report: str | None = None
    """Where the full report is."""


class BudgetStatus(StatusModel):
    """Replicas the GPU budget last asked of each Deployment, and when traffic last moved."""

    total_replicas: int
    """The declared budget: stable and candidate replicas together."""
    stable_replicas: int
    """Replicas last asked of the stable Deployment."""
    candidate_replicas: int
    """Replicas last asked of the candidate Deployment."""
    routed: Weights | None = None
    """The weights the router last reported."""
    routed_since: str | None = None
    """When the router first reported them, RFC 3339; scale-down waits scaleDownDelaySeconds from here."""


class RolloutStatus(StatusModel):
    phase: Phase = "Pending"
    """Pending, Progressing, Paused, Succeeded, RolledBack or Failed."""
    current_step: int = Field(default=0, ge=0)
    """Index of the step being run (0-based); the step count once all are done."""
    step_number: int = Field(
        default=0,
        description="The current step counting from 1 (currentStep + 1, at most the number of steps), "
        "as people and kubectl get read it.",
    )
    weights: Weights = Field(default_factory=Weights)
    """Traffic weights pixelproof last set."""
    verified_weights: Weights | None = None
    """Traffic weights the router was last read back with."""
    observed_generation: int = 0
    """metadata.generation of the spec this status was decided from."""
    revision: str = ""
    """Hash of stable, candidate and generator; when it changes the rollout starts over."""
    attempt: int = Field(default=1, ge=1)
    """How many times the rollout has started for this revision, from 1."""
    step_started_at: str | None = None
    """When the current step started, RFC 3339."""
    holding_since: str | None = None
    """When the current hold began, RFC 3339; a hold longer than progressDeadlineSeconds fails."""
    mirror_percent: int | None = Field(
        default=None,
        description="Percent of live requests the route was last read back mirroring to the prompt recorder (spec.liveTraffic); -1 when its rules disagree.",
    )
    recorder: str | None = Field(
        default=None, description="In-cluster URL of the rollout's prompt recorder while it runs."
    )
    traffic_shifted: bool = False
    """Whether the candidate has had traffic; metric gates judge only from then."""
    waiting_on: str | None = None
    """What the rollout waits for, when it waits."""
    message: str = ""
    """Where the rollout stands, in words."""
    conditions: list[Condition] = Field(default_factory=list)
    """Standard conditions: Ready, Stalled and Reconciling."""
    last_evaluation: EvaluationStatus | None = None
    """The latest evaluation run."""
    gates: list[GateStatus] = Field(default_factory=list)
    """Each metric gate's latest judgement."""
    acknowledged_commands: dict[str, str] = Field(default_factory=dict)
    """Command annotation tokens already acted on, by command."""
    promoted_step: int | None = None
    """The pause step a promote command passed; -1 after promote-full."""
    rollback_reason: str | None = None
    """Why traffic returned to stable, in words."""
    rollback_cause: RollbackCause | None = Field(
        default=None,
        description="Why traffic returned to stable, for machines; rollbackReason says it for people.",
    )
    finished_at: str | None = None
    """When the rollout ended, RFC 3339."""
    window_hold: WindowHold | None = Field(
        default=None,
        description="Set while a change window or freeze keeps traffic from moving forward.",
    )
    review: ReviewStatus | None = Field(
        default=None, description="The review step's request and who decided it."
    )
    promoted_revisions: list[PromotedRevision] = Field(
        default_factory=list,
        description="Candidate revisions this rollout fully promoted, newest first (at most "
        "10); spec.rollbackWindow counts them.",
    )
    fast_tracked: str | None = Field(
        default=None,
        description="Why this rollout skipped its steps: its candidate revision was promoted "
        "within spec.rollbackWindow.",
    )
    gpu_budget: BudgetStatus | None = Field(
        default=None, description="Set with traffic.gpuBudget: how the replicas are shared."
    )
    route_policies: bool | None = Field(
        default=None,
        description="Whether the router last reported the header canary and session affinity routes in place.",
    )
    digest: str = Field(
        default="",
        description=(
            "The operator's seal over the status it wrote (sha256 of everything but conditions, "
            "message and waitingOn). A status edited by hand no longer matches it: the operator "
            "then continues from what the router shows, never above it."
        ),
    )
