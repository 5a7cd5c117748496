"""The watches that answer the operator's reads: one kopf index per kind the reconcile
reads, instead of a GET of every object on every reconcile.

kopf lists and watches each kind once and runs no handler before every index is filled,
so a reconcile never starts from an empty cache. What is kept is cut to what the operator
reads, so watching every Service or ConfigMap of a namespace stays small."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
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


class LeanDiffBase(kopf.AnnotationsDiffBaseStorage):
    """kopf's record of a rollout's last handled spec, built without copying what it then
    throws away. kopf builds it for every event of every watched kind by copying the whole
    object, status and managedFields included; only ModelRollouts have change handlers,
    and only their spec, labels and annotations count."""

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> kopf.BodyEssence:
        if body.get("kind") != KIND:
            return cast(kopf.BodyEssence, {})
        meta = body.get("metadata") or {}
        lean = {key: value for key, value in body.items() if key not in ("status", "metadata")}
        lean["metadata"] = {key: meta[key] for key in ("labels", "annotations") if key in meta}
        return super().build(body=kopf.Body(cast(kopf.RawBody, lean)), extra_fields=extra_fields)


def register_watches(
    registry: kopf.OperatorRegistry,
    rollout_labels: Mapping[str, Any],
    activity: WatchActivity,
    cache: Callable[[], ObjectCache | None],
) -> None:
    """One index per kind on `registry`; rollouts only those `rollout_labels` select.
    Every event also tells `cache()` (when there is one) which of its writes it confirms."""
    for watch in (*WATCHES, ROLLOUTS):
        labels = rollout_labels if watch is ROLLOUTS else watch.labels
        _register(registry, watch, dict(labels), activity, cache)


def _register(
    registry: kopf.OperatorRegistry,
    watch: Watch,
    labels: dict[str, Any],
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
        labels=labels or None,
    )(index)


def cache_from(indices: Mapping[str, Source], namespaces: tuple[str, ...]) -> ObjectCache:
    """A cache over kopf's indexes (startup handlers find them among their arguments)."""
    cache = ObjectCache(watching(namespaces))
    for watch in (*WATCHES, ROLLOUTS):
        cache.watch(watch.resource, indices[watch.id], watch.listed_by)
    return cache


def watching(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether kopf watches a namespace, for the operator's --namespace patterns (none:
    all). A pattern kopf reads otherwise (an exclusion) makes the cache ask the API."""
    if not patterns:
        return lambda _: True
    if any(p.startswith("!") or "," in p for p in patterns):
        return lambda _: False
    return lambda namespace: any(fnmatchcase(namespace, p) for p in patterns)
