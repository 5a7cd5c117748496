"""pause: wait for its duration, or without one for a person to promote."""

from __future__ import annotations

from datetime import datetime, timedelta

from pixelproof.api.steps import Step

from ..context import Context
from ..gating import promotion_blocked
from ..outcome import Advance, Outcome, Wait
from ..timefmt import parse_time


def pause(ctx: Context, step: Step) -> Outcome:
    """Waiting here is the plan, not a hold: it never counts toward the deadline."""
    assert step.pause is not None
    st = ctx.status
    if st.promoted_step != st.current_step:
        seconds = step.pause.seconds
        if seconds is None:
            st.phase = "Paused"
            return Wait(
                "promotion: kubectl pixelproof promote " + ctx.name, counts_toward_deadline=False
            )
        end = pause_end(st.step_started_at, seconds) or ctx.now + timedelta(seconds=seconds)
        if ctx.now < end:
            st.phase = "Paused"
            # The end, not a countdown: a countdown would change the status, and so cost a
            # write, at every tick of every paused rollout.
            return Wait(f"pause: until {end:%Y-%m-%dT%H:%M:%SZ}", counts_toward_deadline=False)
    return resume(ctx)


def pause_end(step_started_at: str | None, seconds: float) -> datetime | None:
    """When a timed pause that began at `step_started_at` ends; None when its start is
    unknown."""
    started = parse_time(step_started_at)
    return None if started is None else started + timedelta(seconds=seconds)


def resume(ctx: Context) -> Outcome:
    """The wait is over: move on once no gate forbids it."""
    st = ctx.status
    st.phase = "Progressing"
    blocked = promotion_blocked(ctx)
    if blocked is not None:
        return blocked
    st.promoted_step = None
    return Advance()
