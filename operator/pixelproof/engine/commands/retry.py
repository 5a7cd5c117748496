"""retry: start a rolled-back or failed rollout again, or rerun an inconclusive evaluation."""

from __future__ import annotations

from ..context import Context
from ..evaluations import start_evaluation
from ..restart import restart


def retry(ctx: Context) -> None:
    st = ctx.status
    if st.phase in ("RolledBack", "Failed"):
        restart(ctx, st.revision, attempt=st.attempt + 1)
        ctx.event("Normal", "Retry", "retry: starting the rollout again")
        return
    step = ctx.current_step()
    assert step is not None and step.evaluate is not None and st.last_evaluation is not None
    ctx.event("Normal", "Retry", "retry: running the evaluation again")
    ctx.hold_on(start_evaluation(ctx, step.evaluate, attempt=st.last_evaluation.attempt + 1))
