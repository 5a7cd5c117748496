"""promote-full: skip the remaining steps to full traffic, as soon as nothing forbids it."""

from __future__ import annotations

from ..context import Context

# promotedStep's value for "every remaining step"; the step loop jumps once it can.
ALL_STEPS = -1


def promote_full(ctx: Context) -> None:
    ctx.status.promoted_step = ALL_STEPS
    ctx.event(
        "Normal",
        "PromoteFull",
        "promote-full: skipping the remaining steps once no gate is failed, running or inconclusive",
    )
