"""setWeight: give the candidate its share of traffic, once the router confirms it."""

from __future__ import annotations

from pixelproof.api.status import Weights
from pixelproof.api.steps import Step

from ..actions import SetWeights
from ..budget import replicas_unsettled, weights_blocked
from ..context import Context
from ..gating import promotion_blocked
from ..outcome import Advance, Outcome, Wait
from ..route_policies import policies_missing
from ..windows import forward_blocked


def set_weight(ctx: Context, step: Step) -> Outcome:
    assert step.set_weight is not None
    ctx.status.phase = "Progressing"
    return shift(ctx, step.set_weight)


def shift(ctx: Context, candidate_weight: int) -> Outcome:
    """Advance once the router reports the weights; more traffic waits for a ready
    candidate and for every gate to pass."""
    st = ctx.status
    desired = Weights(stable=100 - candidate_weight, candidate=candidate_weight)
    if candidate_weight > 0 and not ctx.obs.candidate.ready:
        return Wait(
            f"candidate {ctx.spec.candidate.deployment} not ready", counts_toward_deadline=True
        )
    if st.weights != desired:
        # Rolling back is never blocked; more traffic to the candidate waits for a window.
        closed = forward_blocked(ctx) if candidate_weight > st.weights.candidate else None
        if closed is not None:
            return closed
        blocked = promotion_blocked(ctx)
        if blocked is not None:
            return blocked
        ctx.event(
            "Normal",
            "WeightsSet",
            f"traffic: stable {desired.stable}%, candidate {desired.candidate}%",
        )
        st.weights = desired
        st.traffic_shifted = st.traffic_shifted or candidate_weight > 0
    if ctx.obs.router.weights != desired:
        held = (policies_missing(ctx) if candidate_weight > 0 else None) or weights_blocked(
            ctx, desired
        )
        if held is not None:
            return held
        ctx.actions.append(SetWeights(desired))
        return Wait(
            f"router to report stable {desired.stable}/candidate {desired.candidate}",
            counts_toward_deadline=True,
        )
    st.verified_weights = ctx.obs.router.weights
    # A step at 0 % with canary headers is for testers: it is done once their route reads back.
    return policies_missing(ctx) or replicas_unsettled(ctx) or Advance()
