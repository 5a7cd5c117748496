"""Header canaries and sticky sessions: routes the router keeps next to the weights while
the rollout runs. They go in before any user traffic moves, verified by reading the route
back, and come out when the rollout ends, whichever way."""

from __future__ import annotations

from pixelproof.api.rollout import ModelRolloutSpec

from .actions import SetRoutePolicies
from .context import Context
from .outcome import Wait


def declared(spec: ModelRolloutSpec) -> bool:
    return bool(spec.traffic.canary_headers) or spec.traffic.session_affinity is not None


def _wanted(ctx: Context) -> bool:
    return ctx.status.phase in ("Progressing", "Paused")


def policies_missing(ctx: Context) -> Wait | None:
    """Traffic waits until the router reports the declared routes in place."""
    if not declared(ctx.spec) or ctx.obs.router.policies_active:
        return None
    return Wait(
        "router to report the canary header and session affinity routes",
        counts_toward_deadline=True,
    )


def keep_policies(ctx: Context) -> None:
    """Ask for the routes while the rollout runs and for their removal once it ended;
    removal goes first, before traffic returns, so no session stays pinned to the candidate."""
    if not declared(ctx.spec):
        return
    reported = ctx.obs.router.policies_active
    ctx.status.route_policies = reported
    wanted = _wanted(ctx)
    if reported == wanted:
        return
    if wanted:
        ctx.actions.append(SetRoutePolicies(True))
    else:
        ctx.actions.insert(0, SetRoutePolicies(False))
