"""Starting a rollout, and starting it over when its revision or its spec says so."""

from __future__ import annotations

from pixelproof.api.status import STABLE_ONLY, RolloutStatus

from .actions import SetWeights
from .budget import weights_blocked
from .context import Context
from .evaluations import stop_running_evaluation
from .outcome import Wait
from .revision import revision_of


def track_revision(ctx: Context) -> Wait | None:
    """Start or restart the rollout when its revision says so. A Wait when this decision
    must end here: traffic is returning to stable, so this decision's readings are stale."""
    revision = revision_of(ctx.spec)
    st = ctx.status
    if not st.revision:
        # An operator that died between its first weight write and its first status write
        # left the first step's traffic in place: keep it rather than dip to zero and back.
        first = ctx.spec.steps[0].set_weight or 0
        restart(ctx, revision, attempt=1, tolerate_weight=first)
        ctx.event(
            "Normal",
            "RolloutStarted",
            f"rolling out {ctx.spec.candidate.deployment} next to {ctx.spec.stable.deployment}",
        )
    elif st.revision != revision:
        stop_running_evaluation(ctx)
        restart(ctx, revision, attempt=1)
        ctx.event(
            "Normal",
            "CandidateChanged",
            "the candidate changed: the rollout starts over from step 1",
        )
        return Wait("traffic to return to stable before starting over", counts_toward_deadline=True)
    elif st.phase in ("RolledBack", "Failed") and ctx.obs.generation != st.observed_generation:
        restart(ctx, revision, attempt=st.attempt + 1)
        ctx.event(
            "Normal",
            "SpecChanged",
            "the spec changed after the rollout ended: starting a new rollout",
        )
    return None


def restart(ctx: Context, revision: str, attempt: int, tolerate_weight: int = 0) -> None:
    """A fresh status for a new rollout. Traffic the router already gives the candidate is
    returned to stable unless it is within `tolerate_weight` and the candidate is ready."""
    ctx.status = RolloutStatus(
        phase="Pending",
        revision=revision,
        attempt=attempt,
        observed_generation=ctx.obs.generation,
        step_started_at=ctx.stamp,
        acknowledged_commands=dict(ctx.status.acknowledged_commands),
        conditions=ctx.status.conditions,
        promoted_revisions=ctx.status.promoted_revisions,
        weights=STABLE_ONLY,
    )
    reading = ctx.obs.router.weights
    if reading is None or reading == STABLE_ONLY:
        return
    if (reading.candidate > tolerate_weight or not ctx.obs.candidate.ready) and (
        weights_blocked(ctx, STABLE_ONLY) is None
    ):
        ctx.actions.append(SetWeights(STABLE_ONLY))
