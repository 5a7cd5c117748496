"""What holds a rollout outside its steps: missing dependencies and an unready
candidate, and the progress deadline that fails a rollout held for too long."""

from __future__ import annotations

from pixelproof.api.status import TERMINAL_PHASES

from .actions import ScaleCandidate
from .context import Context
from .outcome import Stop, Wait
from .timefmt import seconds_since


def missing_dependencies(ctx: Context) -> Wait | None:
    problems = list(ctx.obs.problems)
    if ctx.obs.router.error:
        problems.append(ctx.obs.router.error)
    if ctx.obs.candidate.error:
        problems.append(ctx.obs.candidate.error)
    if ctx.obs.recorder.foreign:
        problems.append(ctx.obs.recorder.foreign)
    if not problems:
        return None
    message = "; ".join(problems)
    ctx.stalled_reason = "MissingDependency"
    if ctx.status.waiting_on != message:
        ctx.event("Warning", "MissingDependency", message)
    return Wait(message, counts_toward_deadline=True)


def ensure_candidate_capacity(ctx: Context) -> None:
    if ctx.spec.traffic.gpu_budget is not None:
        return
    wanted = ctx.spec.candidate.replicas
    if ctx.obs.candidate.replicas != wanted:
        ctx.actions.append(ScaleCandidate(wanted))


def candidate_unready(ctx: Context) -> Wait | None:
    candidate = ctx.obs.candidate
    if candidate.ready:
        return None
    return Wait(
        f"candidate {ctx.spec.candidate.deployment} not ready ({candidate.ready_replicas}/{ctx.spec.candidate.replicas})",
        counts_toward_deadline=True,
    )


def deadline_passed(ctx: Context) -> Stop | None:
    st = ctx.status
    if st.phase in TERMINAL_PHASES or st.holding_since is None or ctx.hold is None:
        return None
    held = seconds_since(st.holding_since, ctx.now)
    limit = ctx.spec.progress_deadline_seconds
    if held is None or held < limit:
        return None
    return Stop(
        "Failed",
        f"no progress for {int(held)}s (progressDeadlineSeconds {limit}) while waiting: {ctx.hold}",
        cause="ProgressDeadlineExceeded",
    )
