"""ModelRollout status: all rollout state lives here, so a restarted operator resumes exactly."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import StatusModel
from .evaluation import GateVerdict
from .verdicts import EvaluationState, Verdict

Phase = Literal["Pending", "Progressing", "Paused", "Succeeded", "RolledBack", "Failed"]
TERMINAL_PHASES: frozenset[str] = frozenset({"Succeeded", "RolledBack", "Failed"})
ConditionStatus = Literal["True", "False", "Unknown"]
RollbackCause = Literal["GateFailed", "EvaluationFailed", "Aborted", "ProgressDeadlineExceeded"]


class Weights(StatusModel):
    stable: int = Field(default=100, ge=0, le=100)
    candidate: int = Field(default=0, ge=0, le=100)


STABLE_ONLY = Weights(stable=100, candidate=0)
CANDIDATE_ONLY = Weights(stable=0, candidate=100)


class Condition(StatusModel):
    type: str
    status: ConditionStatus
    reason: str
    message: str = ""
    observed_generation: int = 0
    last_transition_time: str


class GateStatus(StatusModel):
    """A metric gate's latest judgement, as run."""

    name: str
    query: str = ""
    stable_query: str | None = None
    value: float | None = None
    stable_value: float | None = None
    threshold: str = ""
    verdict: Verdict = "Pending"
    message: str = ""
    consecutive_breaches: int = 0
    consecutive_errors: int = 0
    last_time: str | None = None


class EvaluationStatus(StatusModel):
    step: int
    attempt: int = 1
    job: str
    state: EvaluationState = "Running"
    started_at: str
    finished_at: str | None = None
    message: str = ""
    gates: list[GateVerdict] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    report: str | None = None


class RolloutStatus(StatusModel):
    phase: Phase = "Pending"
    current_step: int = Field(
        default=0, ge=0, description="Index of the step in progress; len(steps) once all are done."
    )
    weights: Weights = Field(default_factory=Weights)
    verified_weights: Weights | None = None
    observed_generation: int = 0
    revision: str = ""
    attempt: int = Field(default=1, ge=1)
    step_started_at: str | None = None
    holding_since: str | None = None
    traffic_shifted: bool = False
    waiting_on: str | None = None
    message: str = ""
    conditions: list[Condition] = Field(default_factory=list)
    last_evaluation: EvaluationStatus | None = None
    gates: list[GateStatus] = Field(default_factory=list)
    acknowledged_commands: dict[str, str] = Field(default_factory=dict)
    promoted_step: int | None = None
    rollback_reason: str | None = None
    rollback_cause: RollbackCause | None = Field(
        default=None,
        description="Why traffic returned to stable, for machines; rollbackReason says it for people.",
    )
    finished_at: str | None = None
    digest: str = Field(
        default="",
        description=(
            "The operator's seal over the status it wrote (sha256 of everything but conditions, "
            "message and waitingOn). A status edited by hand no longer matches it: the operator "
            "then continues from what the router shows, never above it."
        ),
    )
