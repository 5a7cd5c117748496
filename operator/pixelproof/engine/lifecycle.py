"""A decision's order of business around the steps: revision, commands, terminal
phases, missing dependencies, metric gates, the candidate's readiness, then the steps,
the progress deadline, and last the live traffic mirror the phase now calls for."""

from __future__ import annotations

from pixelproof.api.status import TERMINAL_PHASES

from .budget import share_replicas
from .commands import apply_commands
from .context import Context
from .driver import run_steps
from .endings import end, keep_terminal_state
from .gating import judge_metrics
from .holds import (
    candidate_unready,
    deadline_passed,
    ensure_candidate_capacity,
    missing_dependencies,
)
from .live import keep_live_traffic
from .restart import track_revision
from .rollback_window import fast_track
from .route_policies import keep_policies


def run(ctx: Context) -> None:
    _run(ctx)
    keep_live_traffic(ctx)
    keep_policies(ctx)
    share_replicas(ctx)


def _run(ctx: Context) -> None:
    starting_over = track_revision(ctx)
    if starting_over is not None:
        ctx.hold_on(starting_over)
        return
    apply_commands(ctx)
    if ctx.status.phase in TERMINAL_PHASES:
        keep_terminal_state(ctx)
        return
    _run_unless_held(ctx)
    stop = deadline_passed(ctx)
    if stop is not None:
        end(ctx, stop)


def _run_unless_held(ctx: Context) -> None:
    missing = missing_dependencies(ctx)
    if missing is not None:
        ctx.hold_on(missing)
        return
    ensure_candidate_capacity(ctx)
    breach = judge_metrics(ctx)
    if breach is not None:
        end(ctx, breach)
        return
    if ctx.status.phase == "Pending":
        unready = candidate_unready(ctx)
        if unready is not None:
            ctx.hold_on(unready)
            return
        _start(ctx)
    run_steps(ctx)


def _start(ctx: Context) -> None:
    ctx.status.phase = "Progressing"
    ctx.event(
        "Normal",
        "CandidateReady",
        f"candidate {ctx.spec.candidate.deployment} is ready; starting step 1",
    )
    ctx.status.step_started_at = ctx.stamp
    fast_track(ctx)
