"""Deciding again, in the same reconcile, on what a router write left.

A setWeight step is done once the router reports its weights. For a route object (an
HTTPRoute, a VirtualService) that report is the object the write just stored, which the
cache already holds; waiting for the next tick to read it back would cost each step of
a run such as setWeight 50, setWeight 100 a tick and a status write of its own. So after
a decision whose router writes all went through, the rollout is observed and decided
again, and the status of the last decision that moved it on is the one written. A router
whose report is not the write itself (KServe's traffic status, the replicas router's
ready pods) shows no progress on that second look, and the reconcile ends there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pixelproof.engine import decide
from pixelproof.engine.actions import Action, SetMirror, SetRoutePolicies, SetWeights
from pixelproof.engine.event_folding import fold_step_starts
from pixelproof.engine.spec import ParsedSpec
from pixelproof.kube import KubeApi

from .apply import Applied, apply_changes
from .observe import observe

ROUTER_WRITES = (SetWeights, SetMirror, SetRoutePolicies)


@dataclass(frozen=True)
class Decided:
    """A decision's status and actions, and what applying its actions did."""

    status: dict[str, Any]
    actions: list[Action]
    applied: Applied


async def decide_again(
    api: KubeApi,
    rollout: dict[str, Any],
    parsed: ParsedSpec,
    now: datetime,
    first: Decided,
    freeze_namespace: str | None,
) -> Decided:
    """`first` followed by the decisions taken on what its router writes left: the last
    status that moved the rollout on, every action applied, and every failure. Metrics
    are not sampled again: the first decision judged this moment's samples, and judging
    them twice would count a breach twice."""
    meta = rollout["metadata"]
    status, actions, applied = first.status, first.actions, first.applied
    last, last_applied = first.actions, first.applied
    for _ in range(len(parsed.model.steps) if parsed.model is not None else 0):
        if last_applied.failures or not any(isinstance(a, ROUTER_WRITES) for a in last):
            break
        world = await observe(
            api, {**rollout, "status": status}, parsed, now, None, freeze_namespace
        )
        again = decide(
            parsed, status, world.observations, now, name=meta["name"], namespace=meta["namespace"]
        )
        if not moved_on(status, again.status):
            break
        done = await apply_changes(api, rollout, world.spec, world.router, again.actions)
        status, actions = again.status, fold_step_starts(actions + again.actions)
        applied = Applied(
            started_jobs=applied.started_jobs + done.started_jobs,
            failures=applied.failures + done.failures,
        )
        last, last_applied = again.actions, done
    return Decided(status, actions, applied)


def moved_on(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether a decision took the rollout to another step or phase: one that did not
    would only wait again for what the decision before it waits for."""
    return (before.get("currentStep"), before.get("phase")) != (
        after.get("currentStep"),
        after.get("phase"),
    )
