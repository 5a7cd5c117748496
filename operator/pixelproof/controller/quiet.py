"""Timer ticks that can be skipped: a rollout whose last decision changed nothing, with
nothing it read changed since and no deadline of the engine's due, would decide the
same again. Such a tick costs a few cache lookups instead of observe and decide.

A full reconcile still runs every RESYNC_SECONDS, as controllers resync their caches,
so nothing the operator reads outside its cache (a metric provider's answer, another
instance's work) can stay unseen for longer than that."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pixelproof.kube import ObjectCache
from pixelproof.kube.reads import ReadLog, version_of

RESYNC_SECONDS = 60.0

Key = tuple[str, str]


@dataclass(frozen=True)
class _Quiet:
    version: str | None
    """The rollout's resourceVersion the decision was made from."""
    reads: ReadLog
    wake_at: datetime | None
    resync_at: float


class QuietRollouts:
    def __init__(self, resync_seconds: float = RESYNC_SECONDS) -> None:
        self._resync = resync_seconds
        self._quiet: dict[Key, _Quiet] = {}
        self.skipped = 0
        """Ticks found quiet so far."""

    def settled(
        self,
        key: Key,
        rollout: Mapping[str, Any],
        reads: ReadLog,
        wake_at: datetime | None,
        now: datetime,
    ) -> None:
        """The decision from `rollout` and `reads` at `now` changed nothing; it holds
        until `wake_at` (None: until they change)."""
        if wake_at is not None and wake_at <= now:
            self._quiet.pop(key, None)
            return
        self._quiet[key] = _Quiet(
            version_of(rollout), reads, wake_at, time.monotonic() + self._resync
        )

    def unsettled(self, key: Key) -> None:
        self._quiet.pop(key, None)

    def still_quiet(
        self, key: Key, rollout: Mapping[str, Any], cache: ObjectCache | None, now: datetime
    ) -> bool:
        """Whether deciding `rollout` now would decide what its last decision did."""
        quiet = self._quiet.get(key)
        if quiet is None or cache is None:
            return False
        if (
            version_of(rollout) != quiet.version
            or (quiet.wake_at is not None and now >= quiet.wake_at)
            or time.monotonic() >= quiet.resync_at
            or not quiet.reads.unchanged(cache)
        ):
            del self._quiet[key]
            return False
        self.skipped += 1
        return True
