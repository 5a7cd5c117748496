"""review: wait for a person to promote or abort, with the evidence sent to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pixelproof.api.review import ReviewStatus, ReviewStep
from pixelproof.api.steps import Step

from ..actions import Notify
from ..borderline import borderline_gates
from ..context import Context
from ..outcome import Outcome, Stop, Wait
from ..timefmt import format_time, parse_time
from .pause import resume


def review(ctx: Context, step: Step) -> Outcome:
    """Waiting for a person is the plan, not a hold: it never counts toward the deadline."""
    spec = step.review
    assert spec is not None
    st = ctx.status
    current = st.review if st.review is not None and st.review.step == st.current_step else None
    if current is None:
        current = _request(ctx, spec)
        if current is None:
            return resume(ctx)
    if current.decision is None and st.promoted_step == st.current_step:
        who = ctx.obs.promoted_by or "unknown"
        _decide(ctx, current, "promoted", who)
    deadline = parse_time(current.deadline_at)
    if current.decision is None and deadline is not None and ctx.now >= deadline:
        if spec.on_deadline == "abort":
            _decide(ctx, current, "aborted", "deadline")
            return Stop(
                "RolledBack",
                f"review at step {st.current_step + 1}: no decision by {current.deadline_at}",
                cause="Aborted",
            )
        _decide(ctx, current, "promoted", "deadline")
    if current.decision is None:
        st.phase = "Paused"
        return Wait(_waiting_text(ctx, current), counts_toward_deadline=False)
    return resume(ctx)


def _request(ctx: Context, spec: ReviewStep) -> ReviewStatus | None:
    """Start the review, or None when no gate is borderline and the step passes through."""
    st = ctx.status
    borderline: list[str] = []
    if spec.only_when_within is not None:
        margin = spec.only_when_within.margin
        borderline = borderline_gates(ctx, margin)
        if not borderline:
            ctx.event(
                "Normal",
                "ReviewSkipped",
                f"review at step {st.current_step + 1} skipped: no gate within {margin:.0%} of its threshold",
            )
            return None
    seconds = spec.deadline_seconds
    deadline = None if seconds is None else format_time(ctx.now + timedelta(seconds=seconds))
    st.review = ReviewStatus(
        step=st.current_step, requested_at=ctx.stamp, deadline_at=deadline, borderline=borderline
    )
    message = _request_text(ctx, st.review, spec)
    ctx.event("Normal", "ReviewRequested", message)
    if ctx.spec.notifications.webhook is not None:
        ctx.actions.append(Notify("Review", message))
    return st.review


def _decide(
    ctx: Context, current: ReviewStatus, decision: Literal["promoted", "aborted"], who: str
) -> None:
    current.decision = decision
    current.decided_by = who
    current.decided_at = ctx.stamp
    ctx.event(
        "Normal" if decision == "promoted" else "Warning",
        "ReviewPromoted" if decision == "promoted" else "ReviewAborted",
        f"review at step {current.step + 1} {decision} by {who} at {ctx.stamp}",
    )


def _request_text(ctx: Context, current: ReviewStatus, spec: ReviewStep) -> str:
    why = (
        f"borderline: {'; '.join(current.borderline)}" if current.borderline else "review required"
    )
    until = (
        f"; {spec.on_deadline} at {current.deadline_at} without a decision"
        if current.deadline_at
        else ""
    )
    return f"review at step {current.step + 1} ({why}){until}"


def _waiting_text(ctx: Context, current: ReviewStatus) -> str:
    where = f"{ctx.name} -n {ctx.namespace}"
    until = f", deadline {current.deadline_at}" if current.deadline_at else ""
    return f"review: kubectl pixelproof promote {where} or kubectl pixelproof abort {where}{until}"
