"""Reads answered from what the operator's watches last delivered, so that a reconcile
asks the API server only for what changed under it.

A source is a mapping from a key to the objects stored under it (kopf's indexes are
such mappings): each object under ("name", namespace, name), and, for the labels a
source is listed by, under ("label", namespace, "label=value") too. What the operator
writes itself is kept beside the watched copy until the watch delivers that version or
a newer one, so a reconcile never decides from an object older than its own last write."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .resources import Resource

Source = Mapping[Hashable, Iterable[Mapping[str, Any]]]


class _Miss:
    def __repr__(self) -> str:
        return "MISS"


MISS: Final = _Miss()
"""The cache cannot answer: ask the API server."""


def name_key(namespace: str, name: str) -> tuple[str, str, str]:
    return ("name", namespace, name)


def label_key(namespace: str, label: str, value: str) -> tuple[str, str, str]:
    return ("label", namespace, f"{label}={value}")


def index_keys(
    namespace: str, name: str, labels: Mapping[str, str], listed_by: Iterable[str]
) -> list[tuple[str, str, str]]:
    """The keys an object is stored under in its source."""
    keys = [name_key(namespace, name)]
    keys += [label_key(namespace, label, labels[label]) for label in listed_by if label in labels]
    return keys


def _version(obj: Mapping[str, Any] | None) -> str | None:
    if obj is None:
        return None
    version = (obj.get("metadata") or {}).get("resourceVersion")
    return None if version is None else str(version)


def _at_least(version: str | None, wanted: str) -> bool:
    # resourceVersions are etcd revisions on every API server in use: integers that grow.
    # Were one not, only the very version written counts as caught up.
    if version is None:
        return False
    try:
        return int(version) >= int(wanted)
    except ValueError:
        return version == wanted


@dataclass
class _Written:
    """What the operator did to an object that its watch may not have delivered yet."""

    obj: Mapping[str, Any] | None = None
    """The object as the write answered it (served until the watch catches up)."""
    version: str | None = None
    """The version the watch must reach; None with no `obj`: re-read it from the API."""
    deleted: bool = False
    at: float = field(default_factory=time.monotonic)


def _everywhere(namespace: str) -> bool:
    return True


@dataclass(frozen=True)
class _Watched:
    source: Source
    listed_by: tuple[str, ...]
    covers: Callable[[str], bool] = _everywhere


class ObjectCache:
    def __init__(self, watches_namespace: Callable[[str], bool] = lambda _: True) -> None:
        self._watched: dict[Resource, _Watched] = {}
        self._written: dict[tuple[Resource, str, str], _Written] = {}
        self._watches_namespace = watches_namespace

    def watch(
        self,
        res: Resource,
        source: Source,
        listed_by: Iterable[str] = (),
        *,
        covers: Callable[[str], bool] = _everywhere,
    ) -> None:
        """Answer reads of `res` from `source`, and lists by any label in `listed_by`, in
        the namespaces it `covers` (asked at each read: a watch may be listing again)."""
        self._watched[res] = _Watched(source, tuple(listed_by), covers)

    def _from_source(self, res: Resource, namespace: str, name: str) -> Mapping[str, Any] | None:
        watched = self._watched[res]
        for obj in watched.source.get(name_key(namespace, name), ()):
            return obj
        return None

    def lookup(self, res: Resource, namespace: str, name: str) -> Mapping[str, Any] | _Miss | None:
        """The object; None when it was deleted by the operator; MISS when only the API
        server can tell (not watched there, not seen, or changed since it was seen)."""
        if not self._caches(res, namespace):
            return MISS
        seen = self._from_source(res, namespace, name)
        key = (res, namespace, name)
        written = self._written.get(key)
        if written is None:
            return MISS if seen is None else seen
        if written.deleted:
            if seen is None:
                del self._written[key]
            return None
        if written.version is not None and _at_least(_version(seen), written.version):
            del self._written[key]
            return seen
        return MISS if written.obj is None else written.obj

    def select(
        self, res: Resource, namespace: str, label_selector: str | None
    ) -> list[Mapping[str, Any]] | _Miss:
        """Objects with one label equal to a value (`label=value`), when the source is
        listed by that label; MISS for any other selector."""
        watched = self._watched.get(res)
        if watched is None or not label_selector or not self._caches(res, namespace):
            return MISS
        label, equals, value = label_selector.partition("=")
        if not equals or label not in watched.listed_by or value.startswith("="):
            return MISS
        found = watched.source.get(label_key(namespace, label, value), ())
        return [
            obj
            for obj in found
            if not self._is_deleted(res, namespace, (obj.get("metadata") or {}).get("name"))
        ]

    def _is_deleted(self, res: Resource, namespace: str, name: str | None) -> bool:
        written = self._written.get((res, namespace, name or ""))
        return written is not None and written.deleted

    def _caches(self, res: Resource, namespace: str) -> bool:
        watched = self._watched.get(res)
        return (
            watched is not None and self._watches_namespace(namespace) and watched.covers(namespace)
        )

    def wrote(self, res: Resource, obj: Mapping[str, Any]) -> None:
        """`obj` is what a create or patch answered."""
        meta = obj.get("metadata") or {}
        namespace, version = str(meta.get("namespace") or ""), _version(obj)
        if not self._caches(res, namespace) or version is None or not meta.get("name"):
            return
        name = str(meta["name"])
        # The watch can deliver the write before its answer is read: nothing to wait for.
        if not _at_least(_version(self._from_source(res, namespace, name)), version):
            self._written[(res, namespace, name)] = _Written(obj=obj, version=version)

    def wrote_version(self, res: Resource, namespace: str, name: str, version: str | None) -> None:
        """A write (a subresource) answered with something other than the object itself:
        re-read the object until the watch reaches `version`."""
        if self._caches(res, namespace):
            self._written[(res, namespace, name)] = _Written(version=version)

    def deleted(self, res: Resource, namespace: str, name: str) -> None:
        if self._caches(res, namespace) and self._from_source(res, namespace, name) is not None:
            self._written[(res, namespace, name)] = _Written(deleted=True)

    def stale(self, res: Resource, namespace: str, name: str) -> None:
        """A write lost a race: the object changed since it was read; re-read it."""
        if self._caches(res, namespace):
            self._written[(res, namespace, name)] = _Written()

    def forget(self, res: Resource, namespace: str, name: str) -> None:
        """The object is going away: nothing written to it is waited for any more."""
        self._written.pop((res, namespace, name), None)

    def delivered(self, res: Resource, obj: Mapping[str, Any]) -> None:
        """A watch delivered `obj`: a write it is as new as needs waiting for no longer."""
        meta = obj.get("metadata") or {}
        key = (res, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        written = self._written.get(key)
        if (
            written is not None
            and written.version is not None
            and _at_least(_version(obj), written.version)
        ):
            del self._written[key]

    def unseen_writes(self) -> Iterator[tuple[Resource, str, str, float]]:
        """(resource, namespace, name, monotonic time) of each write the watch has not
        delivered yet."""
        for (res, namespace, name), written in list(self._written.items()):
            if written.version is not None:
                yield res, namespace, name, written.at
            elif written.deleted and self._from_source(res, namespace, name) is None:
                # Deleted objects nobody reads again are dropped here, not on a lookup.
                del self._written[(res, namespace, name)]

    def fetched(
        self, res: Resource, namespace: str, name: str, obj: Mapping[str, Any] | None
    ) -> None:
        """What the API server answered to a read the cache could not."""
        written = self._written.get((res, namespace, name))
        if written is None or written.deleted or written.obj is not None:
            return
        version = _version(obj)
        seen = _version(self._from_source(res, namespace, name))
        if obj is None or version is None or _at_least(seen, version):
            del self._written[(res, namespace, name)]
        elif written.version is None or _at_least(version, written.version):
            written.obj, written.version = obj, version
