"""What the engine asks the operator to do. Each action is idempotent to apply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pixelproof.api.status import GateStatus, Weights


@dataclass(frozen=True)
class SetWeights:
    weights: Weights


@dataclass(frozen=True)
class SetMirror:
    """Mirror `percent` of the route's requests to the prompt recorder; None removes the mirror."""

    percent: int | None


@dataclass(frozen=True)
class StartRecorder:
    """Create the rollout's prompt recorder (Deployment and Service) unless it exists."""


@dataclass(frozen=True)
class RemoveRecorder:
    """Delete the rollout's prompt recorder and the prompts it holds."""


@dataclass(frozen=True)
class ScaleCandidate:
    replicas: int


@dataclass(frozen=True)
class ScaleWithinBudget:
    """traffic.gpuBudget: shrink whichever Deployment shrinks first, then grow the other, so
    the replicas asked of both never exceed the budget at any moment."""

    stable: int
    candidate: int


@dataclass(frozen=True)
class SetRoutePolicies:
    """Put the header canary and session affinity routes in place, or remove them."""

    active: bool


@dataclass(frozen=True)
class StartEvaluation:
    step: int
    attempt: int
    job: str
    tags: tuple[str, ...] = ()
    candidate_replicas: int | None = None
    """The candidate's ready replicas as observed: the evaluator's concurrency when the spec
    sets none."""


@dataclass(frozen=True)
class StopEvaluation:
    job: str


@dataclass(frozen=True)
class RecordGate:
    """A metric gate was judged: the operator publishes it as an Event and a metric."""

    gate: GateStatus


@dataclass(frozen=True)
class EmitEvent:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str
    said: tuple[str, ...] = ()
    """The reason of each part its message says in turn, when it says more than one (its
    own reason is the last)."""


@dataclass(frozen=True)
class Notify:
    """The rollout reached a phase people asked to hear about (spec.notifications), or a
    review step waits for a person (phase "Review")."""

    phase: Literal["Succeeded", "RolledBack", "Failed", "Review"]
    message: str


Action = (
    Notify
    | SetWeights
    | SetMirror
    | StartRecorder
    | RemoveRecorder
    | ScaleCandidate
    | ScaleWithinBudget
    | SetRoutePolicies
    | StartEvaluation
    | StopEvaluation
    | RecordGate
    | EmitEvent
)
