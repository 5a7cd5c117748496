"""kopf handlers: every one of them runs the same reconcile (or, on deletion, the finalizer)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import kopf

from pixelproof.api.base import GROUP, PLURAL, VERSION
from pixelproof.kube import ApiError

from .gatesets import gate_set_key, users
from .reconcile import Reconciler

logger = logging.getLogger(__name__)

_TRANSIENT = (ApiError, httpx.HTTPError, OSError)

TICK = "tick"
GATE_SET_HANDLERS = ("gateset-changed", "clustergateset-changed")
"""Called for every event of every gate set, as the watch handlers are."""


def register_handlers(
    registry: kopf.OperatorRegistry,
    timer_interval: float,
    labels: Mapping[str, Any],
    gate_set_users: Mapping[str, Iterable[tuple[str, str]]],
) -> None:
    """Register on `registry` for the rollouts `labels` select; each handler finds the
    Reconciler in kopf's memo, put there by the operator's startup handler before kopf
    calls any of these. `gate_set_users` holds the rollouts that list each gate set."""
    retry = max(timer_interval, 1.0)
    only = dict(labels)

    async def reconcile(
        reconciler: Reconciler, namespace: str | None, name: str, *, tick: bool = False
    ) -> None:
        assert namespace is not None, "ModelRollouts are namespaced"
        try:
            await reconciler.reconcile(namespace, name, tick=tick)
        except _TRANSIENT as exc:
            # The API server (or a router object) is having a moment: retry soon, keep no state.
            raise kopf.TemporaryError(f"reconcile failed, retrying: {exc}", delay=retry) from exc

    @kopf.on.resume(GROUP, VERSION, PLURAL, registry=registry, id="reconcile", labels=only)
    @kopf.on.create(GROUP, VERSION, PLURAL, registry=registry, id="reconcile", labels=only)
    @kopf.on.update(GROUP, VERSION, PLURAL, registry=registry, id="reconcile", labels=only)
    async def on_change(namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
        await reconcile(memo.reconciler, namespace, name)

    # The first tick waits an interval: a tick at once would decide on the rollout as it
    # was before kopf stored its finalizer, and its status write would only be refused.
    @kopf.timer(
        GROUP,
        VERSION,
        PLURAL,
        registry=registry,
        id=TICK,
        interval=timer_interval,
        initial_delay=timer_interval,
        labels=only,
    )
    async def on_timer(namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
        await reconcile(memo.reconciler, namespace, name, tick=True)

    async def decide_users(reconciler: Reconciler, key: str) -> None:
        # A set changes the gates of every rollout that lists it: they decide again at once
        # rather than at their next tick, all of them together (the reconcile slots bound
        # how many at a time), and one that fails leaves the others their turn.
        listing = users(gate_set_users, key)
        outcomes = await asyncio.gather(
            *(reconcile(reconciler, *user) for user in listing), return_exceptions=True
        )
        for (namespace, name), outcome in zip(listing, outcomes, strict=True):
            if isinstance(outcome, Exception):
                logger.warning(
                    "%s/%s: not decided again on the change of %s (%s); its next tick will",
                    namespace,
                    name,
                    key,
                    outcome,
                    exc_info=None if isinstance(outcome, kopf.TemporaryError) else outcome,
                )

    @kopf.on.event(GROUP, VERSION, "gatesets", registry=registry, id=GATE_SET_HANDLERS[0])
    async def on_gate_set(namespace: str | None, name: str, memo: kopf.Memo, **_: Any) -> None:
        await decide_users(memo.reconciler, gate_set_key("GateSet", name, namespace))

    @kopf.on.event(GROUP, VERSION, "clustergatesets", registry=registry, id=GATE_SET_HANDLERS[1])
    async def on_cluster_gate_set(name: str, memo: kopf.Memo, **_: Any) -> None:
        await decide_users(memo.reconciler, gate_set_key("ClusterGateSet", name, None))

    @kopf.on.delete(GROUP, VERSION, PLURAL, registry=registry, id="finalize", labels=only)
    async def on_delete(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        reconciler: Reconciler = memo.reconciler
        try:
            await reconciler.finalize(_plain(body))
        except _TRANSIENT as exc:
            raise kopf.TemporaryError(
                f"clean-up on deletion failed, retrying: {exc}", delay=retry
            ) from exc


def _plain(body: kopf.Body) -> dict[str, Any]:
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": dict(body.metadata),
        "spec": dict(body.spec),
        "status": body.get("status"),
    }
