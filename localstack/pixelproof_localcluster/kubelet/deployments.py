"""Deployment status as a controller-manager and kubelets would report it.

Replicas become ready ``ready_delay`` seconds after a spec change (per Deployment via the
``READY_AFTER_ANNOTATION``), or never while ``HOLD_UNREADY_ANNOTATION`` is "true".
No Pods or ReplicaSets are created: only the Deployment's status is maintained, except for
Deployments whose image ``processes`` runs as a local process: those are ready when it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

from pixelproof_localcluster.kubelet.conditions import carry_times, condition
from pixelproof_localcluster.kubelet.deployment_processes import LocalProcessDeployments
from pixelproof_localcluster.resources import ResourceSpec
from pixelproof_localcluster.store import ObjectStore, WatchEvent

logger = logging.getLogger(__name__)

HOLD_UNREADY_ANNOTATION = "localcluster.pixelproof.dev/hold-unready"
READY_AFTER_ANNOTATION = "localcluster.pixelproof.dev/ready-after-seconds"


@dataclasses.dataclass(frozen=True)
class _Target:
    generation: int
    replicas: int
    held: bool
    delay: float


def _replicas(obj: dict[str, Any]) -> int:
    return int((obj.get("spec") or {}).get("replicas", 1))


def _status(obj: dict[str, Any], *, ready: int, updated: int) -> dict[str, Any]:
    replicas = _replicas(obj)
    current = obj.get("status") or {}
    complete = ready == replicas and updated == replicas
    conditions = [
        condition(
            "Available",
            ready == replicas,
            "MinimumReplicasAvailable" if ready == replicas else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if ready == replicas
            else "Deployment does not have minimum availability.",
        ),
        condition(
            "Progressing",
            True,
            "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
            f'ReplicaSet "{obj["metadata"]["name"]}" '
            + ("has successfully progressed." if complete else "is progressing."),
        ),
    ]
    counters = {
        "replicas": replicas,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "unavailableReplicas": replicas - ready,
    }
    # A real API server omits zero counters; clients must cope with their absence.
    status: dict[str, Any] = {"observedGeneration": obj["metadata"].get("generation", 1)}
    status.update({key: value for key, value in counters.items() if value})
    status["conditions"] = carry_times(current.get("conditions"), conditions, "lastUpdateTime")
    return status


class DeploymentController:
    def __init__(
        self,
        store: ObjectStore,
        *,
        ready_delay: float = 0.0,
        processes: LocalProcessDeployments | None = None,
    ) -> None:
        self._store = store
        self._ready_delay = ready_delay
        self.processes = processes
        self._tasks: dict[tuple[str | None, str], tuple[_Target, asyncio.Task[None]]] = {}

    def start(self) -> None:
        self._store.add_listener(self._on_event)

    async def stop(self) -> None:
        if self.processes is not None:
            await self.processes.stop()
        tasks = [task for _, task in self._tasks.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _target(self, obj: dict[str, Any]) -> _Target:
        annotations = obj["metadata"].get("annotations") or {}
        held = str(annotations.get(HOLD_UNREADY_ANNOTATION, "")).lower() == "true"
        try:
            delay = float(annotations.get(READY_AFTER_ANNOTATION, self._ready_delay))
        except ValueError:
            logger.warning(
                "Deployment %s: annotation %s is not a number; using %s s",
                obj["metadata"]["name"],
                READY_AFTER_ANNOTATION,
                self._ready_delay,
            )
            delay = self._ready_delay
        generation = int(obj["metadata"].get("generation", 1))
        return _Target(generation, _replicas(obj), held, delay)

    def _final_status(self, obj: dict[str, Any], target: _Target) -> dict[str, Any]:
        ready = 0 if target.held else target.replicas
        return _status(obj, ready=ready, updated=target.replicas)

    def _on_event(self, spec: ResourceSpec, event: WatchEvent) -> None:
        if spec.storage_key != ("apps", "deployments"):
            return
        obj = event.object
        if self.processes is not None and self.processes.handles(obj):
            self.processes.sync(
                obj, event.type == "DELETED", lambda o, ready: self._write_ready(spec, o, ready)
            )
            return
        key = (obj["metadata"].get("namespace"), obj["metadata"]["name"])
        existing = self._tasks.get(key)
        if event.type == "DELETED":
            if existing:
                existing[1].cancel()
            return
        target = self._target(obj)
        if existing and not existing[1].done():
            if existing[0] == target:
                return
            existing[1].cancel()
        if self._final_status(obj, target) == (obj.get("status") or {}):
            return
        task = asyncio.get_running_loop().create_task(self._reconcile(spec, key, target))
        self._tasks[key] = (target, task)
        task.add_done_callback(lambda t: self._forget(key, t))

    def _forget(self, key: tuple[str | None, str], task: asyncio.Task[None]) -> None:
        if self._tasks.get(key, (None, None))[1] is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            logger.error("Deployment controller failed for %s", key, exc_info=task.exception())

    async def _reconcile(
        self, spec: ResourceSpec, key: tuple[str | None, str], target: _Target
    ) -> None:
        namespace, name = key
        obj = self._store.find(spec, namespace, name)
        if obj is None:
            return
        if not target.held and target.delay > 0:
            previous = obj.get("status") or {}
            still_ready = min(int(previous.get("readyReplicas", 0)), target.replicas)
            self._write(spec, obj, _status(obj, ready=still_ready, updated=0))
            await asyncio.sleep(target.delay)
            obj = self._store.find(spec, namespace, name)
            if obj is None:
                return
        self._write(spec, obj, self._final_status(obj, target))

    def _write_ready(self, spec: ResourceSpec, obj: dict[str, Any], ready: int) -> None:
        meta = obj["metadata"]
        stored = self._store.find(spec, meta.get("namespace"), meta["name"])
        if stored is not None:
            status = _status(stored, ready=ready, updated=_replicas(stored))
            if status != (stored.get("status") or {}):
                self._write(spec, stored, status)

    def _write(self, spec: ResourceSpec, obj: dict[str, Any], status: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self._store.replace(
            spec, meta.get("namespace"), meta["name"], {"metadata": {}, "status": status}, "status"
        )
