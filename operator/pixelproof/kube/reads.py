"""What a reconcile read, and at which resourceVersions, so that a later pass can tell
from the cache alone whether anything it depends on changed since.

Reads are noted in the log of the task that opened it with `recording()`; tasks it
starts (asyncio.gather) share the log, as they share the task's context."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .cache import MISS, ObjectCache
from .resources import Resource

Versions = frozenset[tuple[str, str | None]]


def version_of(obj: Mapping[str, Any] | None) -> str | None:
    """None for no object at all."""
    if obj is None:
        return None
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def versions_of(objs: Iterable[Mapping[str, Any]]) -> Versions:
    return frozenset(
        (str((obj.get("metadata") or {}).get("name") or ""), version_of(obj)) for obj in objs
    )


@dataclass
class ReadLog:
    found: dict[tuple[Resource, str, str], str | None] = field(default_factory=dict)
    """Each object read by name: its version, None when it did not exist."""
    listed: dict[tuple[Resource, str, str | None], Versions] = field(default_factory=dict)
    """Each label selection: the names and versions of what it returned."""
    unanswerable: bool = False
    """Something was read that no cache keeps (a raw GET): only reading again tells."""

    def unchanged(self, cache: ObjectCache) -> bool:
        """Whether the cache holds everything read, each still at the version read."""
        if self.unanswerable:
            return False
        for (res, namespace, name), version in self.found.items():
            now = cache.lookup(res, namespace, name)
            if now is MISS or version_of(now) != version:  # type: ignore[arg-type]
                return False
        for (res, namespace, selector), versions in self.listed.items():
            selected = cache.select(res, namespace, selector)
            if selected is MISS or versions_of(selected) != versions:  # type: ignore[arg-type]
                return False
        return True


_log: ContextVar[ReadLog | None] = ContextVar("pixelproof_read_log", default=None)


@contextlib.contextmanager
def recording() -> Iterator[ReadLog]:
    """Note every read made in this context, until the block ends."""
    log = ReadLog()
    token = _log.set(log)
    try:
        yield log
    finally:
        _log.reset(token)


def noted_find(res: Resource, namespace: str, name: str, obj: Mapping[str, Any] | None) -> None:
    log = _log.get()
    if log is not None:
        log.found[(res, namespace, name)] = version_of(obj)


def noted_list(
    res: Resource, namespace: str, selector: str | None, objs: Iterable[Mapping[str, Any]]
) -> None:
    log = _log.get()
    if log is not None:
        log.listed[(res, namespace, selector)] = versions_of(objs)


def noted_uncached() -> None:
    log = _log.get()
    if log is not None:
        log.unanswerable = True
