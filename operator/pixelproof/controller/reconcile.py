"""One level-triggered, idempotent reconcile: observe -> decide -> apply -> write status.

Every handler calls it. It may run twice or die at any line without harm: all state is
in the rollout's status, every action is idempotent to apply, and the status write is
conditional on the resourceVersion that was observed, so a stale decision is never stored."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from pixelproof import telemetry
from pixelproof.api.gatesets import GateSetKey
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.engine import decide, parse_spec
from pixelproof.engine.spec import ParsedSpec
from pixelproof.engine.wakeup import next_wakeup
from pixelproof.evaluation.retention import rollout_jobs, sweep_jobs
from pixelproof.kube import JOBS, MODELROLLOUTS, ApiError, ConflictError, KubeApi
from pixelproof.kube.reads import recording
from pixelproof.routers import RouterError, router_for

from .apply import EventPoster, Notifier, announce, apply_changes, remove_recorder
from .decide_again import Decided, decide_again
from .gatesets import read_gate_sets
from .observe import MetricSampler, observe
from .policy import RolloutPolicy
from .quiet import QuietRollouts
from .statuspatch import merge_patch

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

RECONCILE_SLOTS = 16
"""Rollouts reconciled at once. More would only interleave on the one event loop and the
API client's connections: each would take as long as all of them, and a decision made
from what was read would wait longer for its write."""

CONFLICT_RETRIES = 2
"""Decisions taken again at once, from the rollout read afresh, when the status write finds
that the rollout changed since it was read. A change that needs no handler of its own (a
write of kopf's, another client's status write) would otherwise leave the decision to the
next tick, and the change that called this reconcile (a gate set's, say) unanswered until
then."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReconcileRecord:
    namespace: str
    name: str
    seconds: float
    step_before: int | None
    step_after: int | None
    phase: str | None
    written: bool
    waited: float = 0.0
    """Seconds it waited, before `seconds` began, for the rollout's lock and a slot."""


Listener = Callable[[ReconcileRecord], None]


class Reconciler:
    def __init__(
        self,
        api: KubeApi,
        post_event: EventPoster,
        *,
        sampler: MetricSampler | None = None,
        notifier: Notifier | None = None,
        policy: RolloutPolicy | None = None,
        clock: Clock = utc_now,
        freeze_namespace: str | None = None,
        omit_events: frozenset[str] = frozenset(),
    ) -> None:
        self.api = api
        self.post_event = post_event
        self.omit_events = omit_events
        self.sampler = sampler
        self.notifier = notifier
        self.policy = policy or RolloutPolicy()
        self.clock = clock
        self.freeze_namespace = freeze_namespace
        self.listeners: list[Listener] = []
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._specs: dict[tuple[str, str], tuple[tuple[object, object, str], ParsedSpec]] = {}
        self.quiet = QuietRollouts()
        self._slots = asyncio.Semaphore(RECONCILE_SLOTS)
        self.closed = False

    def stop(self) -> None:
        """Stop reconciling: kopf may still fire a timer while it shuts down. The API client
        is the operator's, and outlives this Reconciler when kopf is started again."""
        self.closed = True

    def _lock(self, namespace: str, name: str) -> asyncio.Lock:
        # kopf runs a timer beside the change handlers of the same object: one at a time here.
        return self._locks.setdefault((namespace, name), asyncio.Lock())

    async def reconcile(
        self, namespace: str, name: str, *, tick: bool = False
    ) -> ReconcileRecord | None:
        """Reconcile the rollout; None when there was nothing to do. A `tick` (a timer's,
        not a change's) is skipped when the last decision would only be made again."""
        if self.closed:
            return None
        called = time.perf_counter()
        async with self._lock(namespace, name):
            rollout = await self._current(namespace, name)
            if rollout is None:
                return None
            if tick and self.quiet.still_quiet(
                (namespace, name), rollout, self.api.cache, self.clock()
            ):
                return None
            async with self._slots:
                started = time.perf_counter()
                # Read again: it may have changed while it waited for a slot.
                rollout = await self._current(namespace, name)
                if rollout is None:
                    return None
                try:
                    record = await self._reconcile(rollout, started, started - called)
                    for _ in range(CONFLICT_RETRIES):
                        if record.written:
                            break
                        # The conflict marked it stale in the cache: this reads it afresh.
                        rollout = await self._current(namespace, name)
                        if rollout is None:
                            return None
                        record = await self._reconcile(rollout, started, started - called)
                except Exception as exc:
                    telemetry.observe_reconcile_error(namespace, name, exc)
                    raise
            for listener in self.listeners:
                listener(record)
            return record

    async def _current(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The rollout, unless it is gone or going."""
        rollout = await self.api.find(MODELROLLOUTS, namespace, name)
        if rollout is None or rollout["metadata"].get("deletionTimestamp"):
            return None
        return rollout

    async def _reconcile(
        self, rollout: dict[str, Any], started: float, waited: float
    ) -> ReconcileRecord:
        meta = rollout["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        now = self.clock()
        self.quiet.unsettled((namespace, name))
        stored = rollout.get("status")
        # Anything else in .status (a string, a list) is the engine's to announce and replace.
        prior: dict[str, Any] = stored if isinstance(stored, dict) else {}
        raw_spec = rollout.get("spec") or {}
        with recording() as reads:
            gate_sets = await read_gate_sets(self.api, namespace, raw_spec)
            parsed = self._parsed(rollout, gate_sets)
            world = await observe(
                self.api, rollout, parsed, now, self.sampler, freeze_namespace=self.freeze_namespace
            )
        decision = decide(
            parsed,
            stored,
            world.observations,
            now,
            name=name,
            namespace=namespace,
        )
        patch = merge_patch(stored, decision.status)
        if not decision.actions and not patch:
            wake_at = next_wakeup(parsed, decision.status, world.observations, now)
            self.quiet.settled((namespace, name), rollout, reads, wake_at, now)
        applied = await apply_changes(self.api, rollout, world.spec, world.router, decision.actions)
        decided = await decide_again(
            self.api,
            rollout,
            parsed,
            now,
            Decided(decision.status, decision.actions, applied),
            self.freeze_namespace,
        )
        status, actions, applied = decided.status, decided.actions, decided.applied
        if status is not decision.status:
            patch = merge_patch(stored, status)
        written = await self._write_status(rollout, patch)
        if written:
            announced = {**rollout, "status": status}
            await announce(
                announced, actions, applied, self.post_event, self.notifier, self.omit_events
            )
            telemetry.observe_decision(namespace, name, parsed.gates, prior, status, actions)
            if world.spec is not None and _evaluation_changed(prior, status):
                await self._sweep(namespace, name, world.spec, status)
        seconds = time.perf_counter() - started
        telemetry.observe_reconcile(seconds)
        return ReconcileRecord(
            namespace,
            name,
            seconds,
            prior.get("currentStep"),
            status.get("currentStep"),
            status.get("phase"),
            written,
            waited,
        )

    def _parsed(self, rollout: dict[str, Any], gate_sets: dict[GateSetKey, Any]) -> ParsedSpec:
        """The screened spec, parsed again only when the spec or a gate set it lists changed:
        every spec change bumps metadata.generation, and parsing is most of a quiet
        reconcile's work."""
        meta = rollout["metadata"]
        namespace = meta["namespace"]
        sets = json.dumps({str(k): v for k, v in gate_sets.items()}, sort_keys=True, default=str)
        key = (namespace, meta["name"])
        stamp = (meta.get("uid"), meta.get("generation"), sets)
        known = self._specs.get(key)
        if known is not None and known[0] == stamp and stamp[1] is not None:
            return known[1]
        parsed = self.policy.screen(parse_spec(rollout.get("spec") or {}, gate_sets, namespace))
        self._specs[key] = (stamp, parsed)
        return parsed

    async def _write_status(self, rollout: dict[str, Any], patch: dict[str, Any]) -> bool:
        """Store the engine's status (as a patch over what was read) unless the rollout
        changed since it was read."""
        meta = rollout["metadata"]
        if not patch:
            return True
        body = {"metadata": {"resourceVersion": meta.get("resourceVersion")}, "status": patch}
        try:
            await self.api.patch(MODELROLLOUTS, meta["namespace"], meta["name"], body, sub="status")
        except ConflictError:
            logger.info(
                "%s/%s changed while reconciling; deciding again on what it is now",
                meta["namespace"],
                meta["name"],
            )
            return False
        return True

    async def _sweep(
        self, namespace: str, name: str, spec: ModelRolloutSpec, status: dict[str, Any]
    ) -> None:
        current = status.get("lastEvaluation") or {}
        running = current.get("job") if current.get("state") == "Running" else None
        keep = spec.evaluator.keep_jobs if spec.evaluator else 3
        try:
            deleted = await sweep_jobs(self.api, namespace, name, running=running, keep=keep)
        except ApiError as exc:
            logger.warning("%s/%s: could not clean up evaluator Jobs: %s", namespace, name, exc)
            return
        if deleted:
            logger.info("%s/%s: deleted evaluator Jobs %s", namespace, name, ", ".join(deleted))

    async def finalize(self, rollout: dict[str, Any]) -> None:
        """The rollout is being deleted: traffic back to stable unless spec.rollback.onDelete
        says keep, any mirror to its prompt recorder removed, and its evaluator Jobs and
        recorder deleted. A router object that is already gone does not block deletion."""
        meta = rollout["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        async with self._lock(namespace, name):
            try:
                spec: ModelRolloutSpec | None = ModelRolloutSpec.model_validate(
                    rollout.get("spec") or {}
                )
            except ValidationError:
                spec = None
            if spec is not None:
                router = router_for(spec, self.api, namespace, name)
                try:
                    await router.clean_up(return_to_stable=spec.rollback.on_delete == "stable")
                except RouterError as exc:
                    logger.warning(
                        "%s/%s: traffic not restored on deletion: %s", namespace, name, exc
                    )
            for job in await rollout_jobs(self.api, namespace, name):
                await self.api.delete(JOBS, namespace, job["metadata"]["name"])
            # Owner references would collect it too; deleting it here ends the recording now.
            await remove_recorder(self.api, namespace, name, meta.get("uid", ""))
        self._locks.pop((namespace, name), None)
        self._specs.pop((namespace, name), None)
        self.quiet.unsettled((namespace, name))
        if self.api.cache is not None:
            self.api.cache.forget(MODELROLLOUTS, namespace, name)
        telemetry.forget(namespace, name)


def _evaluation_changed(prior: dict[str, Any], status: dict[str, Any]) -> bool:
    before = prior.get("lastEvaluation") or {}
    after = status.get("lastEvaluation") or {}
    return (before.get("job"), before.get("state")) != (after.get("job"), after.get("state"))
