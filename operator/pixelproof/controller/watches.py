"""The watches that answer the operator's reads: what kopf's watch of each kind the
reconcile reads delivered, instead of a GET of every object on every reconcile.

The kinds a reconcile lists by label (ConfigMaps, evaluator Jobs and Pods) are kopf
indexes: kopf runs no handler before every index is filled, so a list never comes from
half a listing. The kinds read by name only are kept from kopf's events instead: an
object not delivered yet is asked of the API server, and kopf's readiness bookkeeping,
which wakes every event waiting for it once per object of an indexed kind listed
(quadratic in the objects listed at start), stays small. What is kept is cut to what the
operator reads, so watching every Service or ConfigMap of a namespace stays small."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, cast

import kopf

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
    ObjectCache,
    Resource,
    Source,
    index_keys,
)
from pixelproof.kube.cache import name_key

from .gatesets import GateSetUsers

JOB_NAME_LABEL = "job-name"
"""Set by the Job controller on a Job's Pods."""

Keep = Callable[[Mapping[str, Any]], dict[str, Any]]


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
    id: str
    resource: Resource
    keep: Keep = _without_managed_fields
    listed_by: tuple[str, ...] = ()
    """Labels it is listed by; such a kind is a kopf index."""
    labels: Mapping[str, Any] = field(default_factory=dict)


WATCHES: tuple[Watch, ...] = (
    Watch("pixelproof_deployments", DEPLOYMENTS),
    Watch("pixelproof_services", SERVICES, keep=_metadata),
    Watch("pixelproof_configmaps", CONFIGMAPS, keep=_config_map, listed_by=(FREEZE_LABEL,)),
    Watch(
        "pixelproof_jobs", JOBS, listed_by=(ROLLOUT_LABEL,), labels={ROLLOUT_LABEL: kopf.PRESENT}
    ),
    Watch(
        "pixelproof_pods", PODS, listed_by=(JOB_NAME_LABEL,), labels={ROLLOUT_LABEL: kopf.PRESENT}
    ),
    Watch("pixelproof_httproutes", HTTPROUTES),
    Watch("pixelproof_virtualservices", VIRTUALSERVICES),
    Watch("pixelproof_inferenceservices", INFERENCESERVICES),
)
ROLLOUTS = Watch("pixelproof_modelrollouts", MODELROLLOUTS, keep=_whole)


KOPF_PREFIX = "kopf.pixelproof.dev"
"""Where kopf keeps its own bookkeeping on a rollout: a handler's progress while retried."""


class Seen(dict[Hashable, list[Mapping[str, Any]]]):
    """A kind read by name only, as its watch last delivered each object."""

    def seen(self, namespace: str, name: str, kept: Mapping[str, Any]) -> None:
        self[name_key(namespace, name)] = [kept]

    def gone(self, namespace: str, name: str) -> None:
        self.pop(name_key(namespace, name), None)


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
    """What the watches kept outside kopf's indexes; emptied each time kopf starts, as
    its watches list every kind afresh."""

    seen: dict[str, Seen] = field(
        default_factory=lambda: {w.id: Seen() for w in (*WATCHES, ROLLOUTS) if not w.listed_by}
    )
    gate_set_users: GateSetUsers = field(default_factory=GateSetUsers)
    handled: RememberedDiffBase = field(
        default_factory=lambda: RememberedDiffBase(
            prefix=KOPF_PREFIX, key="last-handled-configuration"
        )
    )

    def clear(self) -> None:
        for kept in self.seen.values():
            kept.clear()
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


def register_watches(
    registry: kopf.OperatorRegistry,
    rollout_labels: Mapping[str, Any],
    activity: WatchActivity,
    cache: Callable[[], ObjectCache | None],
    watched: Watched,
) -> None:
    """One watch per kind on `registry`; of rollouts only those `rollout_labels` select.
    Every event also tells `cache()` (when there is one) which of its writes it confirms."""
    for watch in WATCHES:
        if watch.listed_by:
            _register_index(registry, watch, activity, cache)
        else:
            _register_seen(registry, watch, activity, cache, watched.seen[watch.id])
    _register_rollouts(registry, dict(rollout_labels), activity, cache, watched)


def _register_index(
    registry: kopf.OperatorRegistry,
    watch: Watch,
    activity: WatchActivity,
    cache: Callable[[], ObjectCache | None],
) -> None:
    res = watch.resource

    async def index(
        body: kopf.Body, namespace: str | None, name: str | None, **_: Any
    ) -> dict[Any, Any]:
        activity.delivered(res, namespace or "")
        kept = watch.keep(body)
        current = cache()
        if current is not None:
            current.delivered(res, kept)
        keys = index_keys(namespace or "", name or "", body.metadata.labels, watch.listed_by)
        return dict.fromkeys(keys, kept)

    kopf.index(
        res.group,
        res.version,
        res.plural,
        registry=registry,
        id=watch.id,
        labels=dict(watch.labels) or None,
    )(index)


def _register_seen(
    registry: kopf.OperatorRegistry,
    watch: Watch,
    activity: WatchActivity,
    cache: Callable[[], ObjectCache | None],
    kept: Seen,
    on_event: Callable[[str, str, Mapping[str, Any] | None], None] | None = None,
) -> None:
    res = watch.resource

    async def seen(
        event: kopf.RawEvent, body: kopf.Body, namespace: str | None, name: str | None, **_: Any
    ) -> None:
        where, called = namespace or "", name or ""
        activity.delivered(res, where)
        if event.get("type") == "DELETED":
            kept.gone(where, called)
            if on_event is not None:
                on_event(where, called, None)
            return
        body_kept = watch.keep(body)
        kept.seen(where, called, body_kept)
        current = cache()
        if current is not None:
            current.delivered(res, body_kept)
        if on_event is not None:
            on_event(where, called, body_kept)

    kopf.on.event(res.group, res.version, res.plural, registry=registry, id=watch.id)(seen)


def _register_rollouts(
    registry: kopf.OperatorRegistry,
    labels: dict[str, Any],
    activity: WatchActivity,
    cache: Callable[[], ObjectCache | None],
    watched: Watched,
) -> None:
    """Every rollout's events come here, so that one relabelled away from this operator
    leaves what is kept (and the gate sets' users) at once."""
    kept = watched.seen[ROLLOUTS.id]

    def keep_if_ours(namespace: str, name: str, body: Mapping[str, Any] | None) -> None:
        meta = (body or {}).get("metadata") or {}
        ours = body is not None and selects(labels, meta.get("labels") or {})
        if body is None or not ours:
            watched.handled.forget(namespace, name)
        if body is not None and not ours:
            kept.gone(namespace, name)
        spec = ((body or {}).get("spec") or {}) if ours else None
        watched.gate_set_users.rollout(namespace, name, spec)

    _register_seen(registry, ROLLOUTS, activity, cache, kept, keep_if_ours)


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


def cache_from(
    indices: Mapping[str, Source], watched: Watched, namespaces: tuple[str, ...]
) -> ObjectCache:
    """A cache over kopf's indexes (startup handlers find them among their arguments) and
    what the other watches kept."""
    cache = ObjectCache(watching(namespaces))
    for watch in (*WATCHES, ROLLOUTS):
        source = indices[watch.id] if watch.listed_by else watched.seen[watch.id]
        cache.watch(watch.resource, source, watch.listed_by)
    return cache


def watching(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether kopf watches a namespace, for the operator's --namespace patterns (none:
    all). A pattern kopf reads otherwise (an exclusion) makes the cache ask the API."""
    if not patterns:
        return lambda _: True
    if any(p.startswith("!") or "," in p for p in patterns):
        return lambda _: False
    return lambda namespace: any(fnmatchcase(namespace, p) for p in patterns)
