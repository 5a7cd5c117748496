"""The watches that answer the operator's reads: what the watch of each kind a reconcile
reads delivered, instead of a GET of every object on every reconcile.

The kinds a reconcile only reads (Deployments, Services, routes, ConfigMaps, evaluator
Jobs and Pods) are listed and watched by reflectors of the operator's own, which keep
each object as delivered and nothing more: kopf would run every event of every kind it
watches through its handler machinery (its causes, a queue and a worker per object, a
logger and arguments per call), which at a thousand rollouts took more of the
operator's CPU than the reconciles did. Rollouts are kopf's: their changes call
handlers. What is kept is cut to what the operator reads, so watching every Service or
ConfigMap of a namespace stays small."""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, cast

import kopf

from pixelproof import telemetry
from pixelproof.api.base import KIND
from pixelproof.api.windows import FREEZE_LABEL
from pixelproof.evaluation.job import ROLLOUT_LABEL
from pixelproof.kube import (
    CONFIGMAPS,
    DEPLOYMENTS,
    HTTPROUTES,
    INFERENCESERVICES,
    JOBS,
    MODELROLLOUTS,
    PODS,
    SERVICES,
    VIRTUALSERVICES,
    KubeApi,
    ObjectCache,
    Resource,
)
from pixelproof.kube.cache import name_key
from pixelproof.kube.reflector import Delivered, Keep, Reflector, Store, WatchTimeouts

from .gatesets import GateSetUsers

JOB_NAME_LABEL = "job-name"
"""Set by the Job controller on a Job's Pods."""


def _without_managed_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k != "managedFields"}
    return {**body, "metadata": meta}


_KEPT_METADATA = ("name", "namespace", "resourceVersion", "ownerReferences")


def _metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    # Only their existence is read, and for a prompt recorder's Service its owner.
    meta = body.get("metadata") or {}
    return {"metadata": {k: meta[k] for k in _KEPT_METADATA if k in meta}}


def _config_map(body: Mapping[str, Any]) -> dict[str, Any]:
    labels = (body.get("metadata") or {}).get("labels") or {}
    if labels.get(FREEZE_LABEL) == "true":
        return _without_managed_fields(body)
    return _metadata(body)


def _whole(body: Mapping[str, Any]) -> dict[str, Any]:
    # A rollout's managedFields say who promoted it.
    return dict(body)


@dataclass(frozen=True)
class Watch:
    resource: Resource
    keep: Keep = _without_managed_fields
    listed_by: tuple[str, ...] = ()
    """Labels it is listed by, as well as read by name."""
    label_selector: str | None = None
    """Only the objects it selects are watched."""


WATCHES: tuple[Watch, ...] = (
    Watch(DEPLOYMENTS),
    Watch(SERVICES, keep=_metadata),
    Watch(CONFIGMAPS, keep=_config_map, listed_by=(FREEZE_LABEL,)),
    Watch(JOBS, listed_by=(ROLLOUT_LABEL,), label_selector=ROLLOUT_LABEL),
    Watch(PODS, listed_by=(JOB_NAME_LABEL,), label_selector=ROLLOUT_LABEL),
    Watch(HTTPROUTES),
    Watch(VIRTUALSERVICES),
    Watch(INFERENCESERVICES),
)
"""The kinds the reflectors watch."""
ROLLOUTS = Watch(MODELROLLOUTS, keep=_whole)
"""kopf's watch."""
ROLLOUTS_HANDLER = "pixelproof_modelrollouts"


KOPF_PREFIX = "kopf.pixelproof.dev"
"""Where kopf keeps its own bookkeeping on a rollout: a handler's progress while retried."""


class RememberedDiffBase(kopf.AnnotationsDiffBaseStorage):
    """kopf's record of each rollout's last handled spec, kept in this process instead of
    in an annotation on the rollout: writing the annotation was one more PATCH for every
    rollout created and every spec changed. Every handler of a rollout runs the same
    reconcile, so a rollout this process holds no record of (after a restart, or one just
    relabelled to this instance) is only reconciled as a new one, which it would be on
    resuming anyway. The record is built without copying what kopf then throws away: kopf
    builds it for every event of every watched kind by copying the whole object, status
    and managedFields included; only ModelRollouts have change handlers, and only their
    spec, labels and annotations count."""

    def __init__(self, *, prefix: str, key: str) -> None:
        super().__init__(prefix=prefix, key=key)
        self._handled: dict[Hashable, tuple[str, kopf.BodyEssence]] = {}

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> kopf.BodyEssence:
        if body.get("kind") != KIND:
            return cast(kopf.BodyEssence, {})
        meta = body.get("metadata") or {}
        lean = {key: value for key, value in body.items() if key not in ("status", "metadata")}
        lean["metadata"] = {key: meta[key] for key in ("labels", "annotations") if key in meta}
        return super().build(body=kopf.Body(cast(kopf.RawBody, lean)), extra_fields=extra_fields)

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        meta = body.get("metadata") or {}
        uid, essence = self._handled.get(self._key(meta), ("", None))
        return essence if uid == str(meta.get("uid")) else None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        meta = body.get("metadata") or {}
        self._handled[self._key(meta)] = (str(meta.get("uid")), essence)

    def forget(self, namespace: str, name: str) -> None:
        """A rollout deleted, or no longer this instance's, leaves no record behind."""
        self._handled.pop(name_key(namespace, name), None)

    def clear(self) -> None:
        self._handled.clear()

    def __len__(self) -> int:
        return len(self._handled)

    @staticmethod
    def _key(meta: Mapping[str, Any]) -> Hashable:
        return name_key(str(meta.get("namespace") or ""), str(meta.get("name") or ""))


@dataclass
class Watched:
    """What kopf's watch of rollouts kept; emptied each time kopf starts, as its watch
    lists them afresh."""

    rollouts: Store = field(default_factory=Store)
    gate_set_users: GateSetUsers = field(default_factory=GateSetUsers)
    handled: RememberedDiffBase = field(
        default_factory=lambda: RememberedDiffBase(
            prefix=KOPF_PREFIX, key="last-handled-configuration"
        )
    )

    def clear(self) -> None:
        self.rollouts.clear()
        self.gate_set_users.clear()
        # Deletions while kopf was down were never delivered; every rollout kopf lists
        # again is reconciled as on resuming.
        self.handled.clear()


class WatchActivity:
    """When each kind's watch last delivered an event in each namespace. A write of the
    operator's own that its watch has not delivered for `limit` seconds, while that watch
    delivered nothing else either, is a watch stream that stopped delivering."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.last_event: dict[tuple[Resource, str], float] = {}
        self.events: Counter[str] = Counter()
        """Events delivered, by resource plural."""

    def delivered(self, res: Resource, namespace: str) -> None:
        self.last_event[(res, namespace)] = time.monotonic()
        self.events[res.plural] += 1

    def silent(self, cache: ObjectCache) -> list[str]:
        """The watches that went silent: a line each, naming the write they never delivered."""
        now = time.monotonic()
        silent: dict[tuple[Resource, str], str] = {}
        for res, namespace, name, at in cache.unseen_writes():
            last = self.last_event.get((res, namespace), 0.0)
            if now - at > self.limit and now - last > self.limit:
                silent.setdefault(
                    (res, namespace),
                    f"the {res.plural} watch in {namespace or 'all namespaces'} delivered no "
                    f"event for {now - last:.0f}s, not even the operator's write of {name} "
                    f"{now - at:.0f}s ago",
                )
        return list(silent.values())


def noting(
    res: Resource, activity: WatchActivity, cache: Callable[[], ObjectCache | None]
) -> Delivered:
    """What to do with each object a watch of `res` delivers (None: gone): note that its
    watch delivers, and tell `cache()` (when there is one) which of its writes it confirms."""

    def delivered(namespace: str, name: str, kept: Mapping[str, Any] | None) -> None:
        activity.delivered(res, namespace)
        current = cache()
        if current is not None and kept is not None:
            current.delivered(res, kept)

    return delivered


class KindWatches:
    """The reflectors of the kinds in WATCHES: one per kind in each namespace watched, or
    one per kind across all namespaces. They outlive kopf's restarts: what they keep is
    followed all along, and need not be listed again when kopf is."""

    def __init__(
        self,
        namespaces: tuple[str, ...],
        activity: WatchActivity,
        cache: Callable[[], ObjectCache | None],
        timeouts: WatchTimeouts,
    ) -> None:
        self.stores = {w.resource: Store(w.listed_by) for w in WATCHES}
        self._namespaces = namespaces
        self._activity, self._cache, self._timeouts = activity, cache, timeouts
        self.reflectors: dict[Resource, dict[str | None, Reflector]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, api: KubeApi) -> None:
        wanted = watching(self._namespaces)
        for watch in WATCHES:
            self.reflectors[watch.resource] = {
                scope: Reflector(
                    api,
                    watch.resource,
                    scope,
                    self.stores[watch.resource],
                    keep=watch.keep,
                    timeouts=self._timeouts,
                    label_selector=watch.label_selector,
                    wanted=wanted,
                    delivered=noting(watch.resource, self._activity, self._cache),
                    changed=functools.partial(
                        telemetry.observe_watch_state, watch.resource.plural, scope
                    ),
                )
                for scope in scopes(self._namespaces)
            }
        self._tasks = [
            asyncio.create_task(r.run(), name=f"pixelproof watch of {r.scope}")
            for by_scope in self.reflectors.values()
            for r in by_scope.values()
        ]

    async def settled(self) -> None:
        """Once every reflector's first listing is answered: kopf's handlers start then,
        so that no reconcile lists from half a listing."""
        for by_scope in self.reflectors.values():
            for reflector in by_scope.values():
                await reflector.settled.wait()

    def covers(self, res: Resource) -> Callable[[str], bool]:
        """Whether what is kept of `res` in a namespace may answer reads there: listed,
        and followed since."""
        by_scope = self.reflectors.get(res, {})
        if None in by_scope:
            return lambda _: by_scope[None].synced
        return lambda namespace: namespace in by_scope and by_scope[namespace].synced

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []


def scopes(patterns: tuple[str, ...]) -> list[str | None]:
    """The namespaces a reflector is run in for the operator's --namespace patterns (None:
    all of them). Patterns with a glob are followed across all namespaces, whose objects
    outside them are not kept: a glob is allowed only with cluster-wide permissions. With
    an exclusion none: the cache then leaves every read to the API server."""
    if not patterns:
        return [None]
    if _excludes(patterns):
        return []
    if any(set(p) & set("*?[") for p in patterns):
        return [None]
    return list(dict.fromkeys(patterns))


def register_watches(
    registry: kopf.OperatorRegistry,
    rollout_labels: Mapping[str, Any],
    activity: WatchActivity,
    cache: Callable[[], ObjectCache | None],
    watched: Watched,
) -> None:
    """kopf's watch of rollouts on `registry`: every rollout's events come here, so that one
    relabelled away from this operator leaves what is kept (and the gate sets' users) at
    once; only those `rollout_labels` select are kept."""
    kept = watched.rollouts
    res = ROLLOUTS.resource
    note = noting(res, activity, cache)

    def keep_if_ours(namespace: str, name: str, body: Mapping[str, Any] | None) -> None:
        meta = (body or {}).get("metadata") or {}
        ours = body is not None and selects(rollout_labels, meta.get("labels") or {})
        if body is None or not ours:
            watched.handled.forget(namespace, name)
        if body is not None and not ours:
            kept.remove(namespace, name)
        spec = ((body or {}).get("spec") or {}) if ours else None
        watched.gate_set_users.rollout(namespace, name, spec)

    async def seen(
        event: kopf.RawEvent, body: kopf.Body, namespace: str | None, name: str | None, **_: Any
    ) -> None:
        where, called = namespace or "", name or ""
        if event.get("type") == "DELETED":
            kept.remove(where, called)
            note(where, called, None)
            keep_if_ours(where, called, None)
            return
        body_kept = ROLLOUTS.keep(body)
        kept.put(where, called, body_kept)
        note(where, called, body_kept)
        keep_if_ours(where, called, body_kept)

    kopf.on.event(res.group, res.version, res.plural, registry=registry, id=ROLLOUTS_HANDLER)(seen)


def selects(wanted: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether kopf's label filter `wanted` selects an object with `labels`."""
    for label, value in wanted.items():
        if value is kopf.ABSENT:
            if label in labels:
                return False
        elif value is kopf.PRESENT:
            if label not in labels:
                return False
        elif labels.get(label) != value:
            return False
    return True


def cache_from(kinds: KindWatches, watched: Watched, namespaces: tuple[str, ...]) -> ObjectCache:
    """A cache over what the reflectors and kopf's watch of rollouts keep."""
    cache = ObjectCache(watching(namespaces))
    for watch in WATCHES:
        res = watch.resource
        cache.watch(res, kinds.stores[res], watch.listed_by, covers=kinds.covers(res))
    cache.watch(MODELROLLOUTS, watched.rollouts)
    return cache


def watching(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether kopf watches a namespace, for the operator's --namespace patterns (none:
    all). A pattern kopf reads otherwise (an exclusion) makes the cache ask the API."""
    if not patterns:
        return lambda _: True
    if _excludes(patterns):
        return lambda _: False
    return lambda namespace: any(fnmatchcase(namespace, p) for p in patterns)


def _excludes(patterns: tuple[str, ...]) -> bool:
    # kopf reads "!name" and comma-joined lists as exclusions: which namespaces it then
    # watches is kopf's to work out, and nothing of theirs is kept here.
    return any(p.startswith("!") or "," in p for p in patterns)
