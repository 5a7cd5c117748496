"""promote: end the current pause."""

from __future__ import annotations

from ..context import Context


def promote(ctx: Context) -> None:
    st = ctx.status
    st.promoted_step = st.current_step
    ctx.event("Normal", "Promoted", f"promote: ending the pause at step {st.current_step + 1}")
