"""traffic.gpuBudget: stable and candidate share a fixed number of replicas.

Weight moves first and replicas follow: a Deployment that lost traffic keeps its pods for
scaleDownDelaySeconds after the router reports the move, so its in-flight requests finish,
and only then shrinks; the other grows into the room it frees. A rollback works the other
way round: the candidate shrinks to one pod, stable grows back into the room, and traffic
returns to stable only once those stable pods are ready. No weight ever points at a side
without a ready pod."""

from __future__ import annotations

from pixelproof.api.status import TERMINAL_PHASES, BudgetStatus, Weights
from pixelproof.api.traffic_policies import GpuBudget, replica_plan

from .actions import ScaleWithinBudget
from .context import Context
from .observations import CandidateReading
from .outcome import Wait
from .timefmt import seconds_since


def planned(total: int, weights: Weights, running: bool, keep_candidate: bool) -> tuple[int, int]:
    """(stable, candidate) replicas once traffic has settled at `weights`. While the rollout
    runs the candidate keeps one pod at 0 %, ready for the first step; after a rollback it
    keeps one only when rollback.scaleDownCandidate is off."""
    if weights.candidate <= 0 and (running or keep_candidate):
        return total - 1, 1
    return replica_plan(total, weights.candidate)


def targets(
    total: int,
    desired: Weights,
    routed: Weights,
    settled: bool,
    plan: tuple[int, int],
    observed_stable: int,
) -> tuple[int, int]:
    """Replicas each side heads for now; they never add up to more than `total`."""
    if routed == desired and settled:
        return plan
    if desired.candidate < routed.candidate:
        # Going back: stable is restored first, the candidate keeps a pod while it has traffic.
        candidate = max(plan[1], 1 if routed.candidate > 0 else 0)
        return total - candidate, candidate
    # Going forward, or waiting out the delay: stable keeps its pods (never more than the
    # budget leaves beside the candidate's serving pod), the candidate grows into the rest.
    stable = min(observed_stable, total - (1 if routed.candidate > 0 else 0))
    return stable, min(plan[1], total - stable)


def within_budget(
    total: int, wanted: tuple[int, int], observed: tuple[int, int]
) -> tuple[int, int]:
    """Replicas to ask for now: a side heading down gets its target at once; a side heading
    up only grows into room the other has already given back."""
    stable, candidate = (w if w <= o else None for w, o in zip(wanted, observed, strict=True))
    if stable is None:
        stable = min(wanted[0], max(observed[0], total - observed[1]))
    if candidate is None:
        room = total - max(observed[0], stable)
        candidate = min(wanted[1], max(observed[1], room))
    return stable, candidate


def _settled(ctx: Context, budget: GpuBudget) -> bool:
    record = ctx.status.gpu_budget
    if record is None or record.routed_since is None:
        return False
    waited = seconds_since(record.routed_since, ctx.now)
    return waited is not None and waited >= budget.scale_down_delay_seconds


def _plan(ctx: Context, total: int) -> tuple[int, int]:
    running = ctx.status.phase not in TERMINAL_PHASES
    return planned(total, ctx.status.weights, running, not ctx.spec.rollback.scale_down_candidate)


def share_replicas(ctx: Context) -> None:
    """Record where traffic stands and ask for this decision's replicas."""
    budget = ctx.spec.traffic.gpu_budget
    routed = ctx.obs.router.weights
    if budget is None or routed is None:
        return
    total = budget.total_replicas
    st = ctx.status
    record = st.gpu_budget or BudgetStatus(
        total_replicas=total,
        stable_replicas=ctx.obs.stable.replicas,
        candidate_replicas=ctx.obs.candidate.replicas,
    )
    if record.routed != routed:
        record.routed, record.routed_since = routed, ctx.stamp
    st.gpu_budget = record
    observed = (ctx.obs.stable.replicas, ctx.obs.candidate.replicas)
    wanted = targets(
        total, st.weights, routed, _settled(ctx, budget), _plan(ctx, total), observed[0]
    )
    stable, candidate = within_budget(total, wanted, observed)
    record.total_replicas = total
    record.stable_replicas, record.candidate_replicas = stable, candidate
    if (stable, candidate) != observed:
        ctx.actions.append(ScaleWithinBudget(stable=stable, candidate=candidate))


def weights_blocked(ctx: Context, desired: Weights) -> Wait | None:
    """Why traffic may not move to `desired` yet: a side it points at has no ready pod, or,
    going back, stable is not restored."""
    budget = ctx.spec.traffic.gpu_budget
    if budget is None:
        return None
    if desired.candidate > 0 and ctx.obs.candidate.ready_replicas < 1:
        return _wait(f"candidate {ctx.spec.candidate.deployment} to have a ready pod")
    stable = ctx.obs.stable
    if desired.stable > 0 and stable.ready_replicas < 1:
        return _wait(f"stable {ctx.spec.stable.deployment} to have a ready pod")
    routed = ctx.obs.router.weights
    if routed is not None and desired.candidate < routed.candidate:
        total = budget.total_replicas
        restored = total - max(_plan(ctx, total)[1], 1)
        if stable.ready_replicas < restored:
            return _wait(
                f"stable {ctx.spec.stable.deployment} restored to {restored} ready replicas "
                f"before traffic returns ({stable.ready_replicas} ready)"
            )
    return None


def replicas_unsettled(ctx: Context) -> Wait | None:
    """A step that moved weight is done once both Deployments match the budget's plan."""
    budget = ctx.spec.traffic.gpu_budget
    if budget is None:
        return None
    stable, candidate = _plan(ctx, budget.total_replicas)
    if _reached(ctx.obs.stable, stable) and _reached(ctx.obs.candidate, candidate):
        return None
    return _wait(
        f"GPU budget: stable {ctx.spec.stable.deployment} to {stable} and candidate "
        f"{ctx.spec.candidate.deployment} to {candidate} ready replicas "
        f"(now {ctx.obs.stable.ready_replicas} and {ctx.obs.candidate.ready_replicas}, "
        f"of {budget.total_replicas})"
    )


def _reached(reading: CandidateReading, replicas: int) -> bool:
    return reading.replicas == replicas and reading.ready_replicas >= replicas


def _wait(reason: str) -> Wait:
    return Wait(reason, counts_toward_deadline=True)
