"""How a rollout ends, and how an ended rollout stays ended: its traffic is kept
level-triggered, since someone may move the weights after the end."""

from __future__ import annotations

from pixelproof.api.status import CANDIDATE_ONLY, STABLE_ONLY

from .actions import Notify, ScaleCandidate, SetWeights
from .budget import weights_blocked
from .context import Context
from .evaluations import stop_running_evaluation
from .outcome import Stop
from .rollback_window import remember_promotion


def end(ctx: Context, stop: Stop) -> None:
    if stop.phase == "Succeeded":
        _succeed(ctx, stop.message)
    else:
        _roll_back(ctx, stop)
    hook = ctx.spec.notifications.webhook
    if hook is not None and stop.phase in hook.events:
        ctx.actions.append(Notify(stop.phase, stop.message))


def _succeed(ctx: Context, message: str) -> None:
    st = ctx.status
    st.phase = "Succeeded"
    st.finished_at = ctx.stamp
    st.waiting_on = None
    st.holding_since = None
    st.message = message
    remember_promotion(ctx)
    ctx.event("Normal", "Succeeded", message)


def _roll_back(ctx: Context, stop: Stop) -> None:
    assert stop.phase != "Succeeded" and stop.cause is not None
    st = ctx.status
    stop_running_evaluation(ctx)
    st.weights = STABLE_ONLY
    # With a GPU budget traffic returns once stable is restored (keep_terminal_state), and
    # the budget, not a separate scale-down, frees the candidate's GPUs.
    if weights_blocked(ctx, STABLE_ONLY) is None:
        ctx.actions.append(SetWeights(STABLE_ONLY))
    if ctx.spec.rollback.scale_down_candidate and ctx.spec.traffic.gpu_budget is None:
        ctx.actions.append(ScaleCandidate(0))
    st.phase = stop.phase
    st.rollback_reason = stop.message
    st.rollback_cause = stop.cause
    st.message = stop.message
    st.waiting_on = None
    st.holding_since = None
    st.finished_at = ctx.stamp
    ctx.event("Warning", stop.cause, stop.message)


def keep_terminal_state(ctx: Context) -> None:
    st = ctx.status
    desired = CANDIDATE_ONLY if st.phase == "Succeeded" else STABLE_ONLY
    st.weights = desired
    reading = ctx.obs.router.weights
    if reading is not None:
        st.verified_weights = reading
        if reading != desired and weights_blocked(ctx, desired) is None:
            ctx.actions.append(SetWeights(desired))
    if (
        st.phase != "Succeeded"
        and ctx.spec.traffic.gpu_budget is None
        and ctx.spec.rollback.scale_down_candidate
        and ctx.obs.candidate.replicas > 0
    ):
        ctx.actions.append(ScaleCandidate(0))
