"""The step loop: run the current step's kind, and move on while steps are done."""

from __future__ import annotations

from pixelproof.api.status import TERMINAL_PHASES

from .commands.promote_full import ALL_STEPS
from .context import Context
from .endings import end
from .gating import promotion_blocked
from .outcome import Advance, Wait
from .steps import STEP_KINDS
from .steps.complete import complete

# A spec has at most a few dozen steps; the cap only bounds a decision whatever its input.
_MAX_STEPS_PER_DECISION = 200


def run_steps(ctx: Context) -> None:
    st = ctx.status
    st.current_step = min(st.current_step, len(ctx.spec.steps))
    for _ in range(_MAX_STEPS_PER_DECISION):
        if st.phase in TERMINAL_PHASES:
            return
        if st.promoted_step == ALL_STEPS:
            blocked = _promote_full(ctx)
            if blocked is not None:
                ctx.hold_on(blocked)
                return
        step = ctx.current_step()
        outcome = complete(ctx) if step is None else STEP_KINDS[step.kind](ctx, step)
        if not isinstance(outcome, Advance):
            if isinstance(outcome, Wait):
                ctx.hold_on(outcome)
            else:
                end(ctx, outcome)
            return
        _advance(ctx)


def _promote_full(ctx: Context) -> Wait | None:
    """Jump past the remaining steps unless an evaluation runs or was inconclusive here, or
    a gate is unsettled: skipping steps never skips a verdict nobody has reached."""
    current = ctx.status.last_evaluation
    if current is not None and current.step == ctx.status.current_step:
        if current.state == "Running":
            return None
        if current.state == "Inconclusive":
            return Wait(
                f"promote-full: evaluation inconclusive: {current.message} "
                f"(kubectl pixelproof retry {ctx.name})",
                counts_toward_deadline=True,
            )
    blocked = promotion_blocked(ctx)
    if blocked is not None:
        return blocked
    ctx.status.current_step = len(ctx.spec.steps)
    ctx.status.promoted_step = None
    return None


def _advance(ctx: Context) -> None:
    st = ctx.status
    st.current_step += 1
    st.step_started_at = ctx.stamp
    st.holding_since = None
    ctx.hold = None
    step = ctx.current_step()
    if step is not None:
        ctx.event(
            "Normal",
            "StepStarted",
            f"step {st.current_step + 1}/{len(ctx.spec.steps)}: {step.describe()}",
        )
