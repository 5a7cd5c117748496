"""Continuing a rollout whose status the operator cannot trust: changed since the
operator sealed it, or unreadable. The router is the witness then: the rollout resumes
at the earliest step that gives the candidate the most traffic the router shows, never
more, so every gate after that point runs again and no weight rises on the status's word."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pixelproof.api.status import CANDIDATE_ONLY, STABLE_ONLY, RolloutStatus, Weights
from pixelproof.api.steps import Step

from .conditions import with_condition
from .context import Context
from .revision import revision_of
from .seal import StatusReading

RECOVERED = "StatusRecovered"
"""Condition: the operator rebuilt the rollout's status; its reason says why."""

_REASONS = {"tampered": "StatusTampered", "unreadable": "StatusUnreadable"}


def resume_position(steps: list[Step], candidate_weight: int) -> int | None:
    """The earliest step (len(steps): completion, at 100) giving the candidate the highest
    weight that is at most `candidate_weight`, reached without passing a step above it;
    None when even the first weight step is above it."""
    best: int | None = None
    best_weight = -1
    for index in range(len(steps) + 1):
        weight = 100 if index == len(steps) else steps[index].set_weight
        if weight is None:
            continue
        if weight > candidate_weight:
            break
        if weight > best_weight:
            best, best_weight = index, weight
    return best


def recover(ctx: Context, reading: StatusReading) -> None:
    """Replace the untrusted status in `ctx` with one rebuilt from the router, announced
    by a Warning Event and the StatusRecovered condition."""
    claimed = reading.model
    if claimed is not None and claimed.phase in ("RolledBack", "Failed"):
        # A claim that traffic went back to stable only ever lowers traffic: keep it.
        status = claimed.model_copy(deep=True)
        status.observed_generation = ctx.obs.generation
        outcome = f"kept {claimed.phase}, traffic stays on stable"
    else:
        status, outcome = _from_router(ctx, reading)
    # Which commands were acted on is part of what cannot be trusted: the tokens present
    # now count as handled, so an old promote is never replayed to skip a pause.
    # Nor is which revisions were promoted: a forged one would skip every step.
    status.promoted_revisions = []
    status.fast_tracked = None
    status.acknowledged_commands = dict(_claimed_acknowledged(reading))
    status.acknowledged_commands.update({str(c): t for c, t in ctx.obs.commands.items()})
    reason = _REASONS[reading.trust]
    message = f"{reading.problem}; {outcome}"
    status.conditions = with_condition(
        claimed.conditions if claimed is not None else [],
        RECOVERED,
        "True",
        reason,
        message,
        ctx.obs.generation,
        ctx.stamp,
    )
    ctx.status = status
    ctx.event("Warning", reason, message)


def _from_router(ctx: Context, reading: StatusReading) -> tuple[RolloutStatus, str]:
    steps = ctx.spec.steps
    route = ctx.obs.router.weights
    shown = route.candidate if route is not None else 0
    status = RolloutStatus(
        revision=_claimed_revision(reading) or revision_of(ctx.spec),
        attempt=_claimed_attempt(reading),
        observed_generation=ctx.obs.generation,
        step_started_at=ctx.stamp,
    )
    seen = "the router is unreadable" if route is None else f"the router shows candidate {shown}%"
    position = resume_position(steps, shown)
    if position is None:
        status.phase = "Pending"
        status.weights = STABLE_ONLY
        return status, f"{seen}: starting from step 1"
    status.traffic_shifted = shown > 0
    if position == len(steps):
        # Full traffic under this revision, no step left to run: the rollout had succeeded.
        status.phase = "Succeeded"
        status.current_step = position
        status.weights = CANDIDATE_ONLY
        status.verified_weights = route
        status.finished_at = ctx.stamp
        status.message = f"{ctx.spec.candidate.deployment} serves 100% of traffic"
        return status, f"{seen}: kept Succeeded"
    weight = steps[position].set_weight or 0
    status.phase = "Progressing"
    status.current_step = position
    status.weights = Weights(stable=100 - weight, candidate=weight)
    return status, (
        f"{seen}: resuming at step {position + 1}/{len(steps)} "
        f"({steps[position].describe()}); every later step runs again"
    )


def _claimed(reading: StatusReading, key: str) -> Any:
    return reading.raw.get(key) if isinstance(reading.raw, Mapping) else None


def _claimed_revision(reading: StatusReading) -> str:
    revision = reading.model.revision if reading.model else _claimed(reading, "revision")
    return revision if isinstance(revision, str) else ""


def _claimed_attempt(reading: StatusReading) -> int:
    attempt = reading.model.attempt if reading.model else _claimed(reading, "attempt")
    return attempt if isinstance(attempt, int) and attempt >= 1 else 1


def _claimed_acknowledged(reading: StatusReading) -> dict[str, str]:
    if reading.model is not None:
        return reading.model.acknowledged_commands
    acknowledged = _claimed(reading, "acknowledgedCommands")
    if not isinstance(acknowledged, Mapping):
        return {}
    return {str(k): v for k, v in acknowledged.items() if isinstance(v, str)}
