"""After the last step: full traffic to the candidate, then success once every gate passes."""

from __future__ import annotations

from ..context import Context
from ..gating import promotion_blocked
from ..outcome import Advance, Outcome, Stop
from .set_weight import shift


def complete(ctx: Context) -> Outcome:
    shifted = shift(ctx, 100)
    if not isinstance(shifted, Advance):
        return shifted
    blocked = promotion_blocked(ctx)
    if blocked is not None:
        return blocked
    return Stop("Succeeded", f"{ctx.spec.candidate.deployment} serves 100% of traffic")
