"""The operator's Events: posted in the background, and kept and retried, in order per
rollout, when the API server refuses or drops them (a burst of 409s, 429s or 5xx must
not lose the record of what a rollout did)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from datetime import UTC, datetime
from typing import Any

import httpx

from pixelproof.engine.event_folding import MAX_MESSAGE
from pixelproof.kube import EVENTS, ApiError, KubeApi

logger = logging.getLogger(__name__)

COMPONENT = "pixelproof-operator"
REASONS_ANNOTATION = "pixelproof.dev/reasons"
"""On every Event the operator posts: the reason of each part of its message, in turn."""
PENDING_PER_ROLLOUT = 200
"""Events kept for one rollout while the API server refuses them; the oldest go first."""
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

Key = tuple[str, str, str]


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ApiError):
        return exc.code in (409, 429) or exc.code >= 500
    return isinstance(exc, httpx.HTTPError | OSError)


def event_body(
    rollout: dict[str, Any], kind: str, reason: str, message: str, said: tuple[str, ...] = ()
) -> dict[str, Any]:
    meta = rollout["metadata"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "namespace": meta["namespace"],
            "generateName": f"{meta['name']}.",
            # What a script reads instead of parsing the message: every reason it says.
            "annotations": {REASONS_ANNOTATION: ",".join(said or (reason,))},
        },
        "involvedObject": {
            "apiVersion": rollout.get("apiVersion"),
            "kind": rollout.get("kind"),
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid"),
        },
        "type": kind,
        "reason": reason,
        "message": message[:MAX_MESSAGE],
        "source": {"component": COMPONENT, "host": socket.gethostname()},
        "reportingComponent": COMPONENT,
        "reportingInstance": socket.gethostname(),
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


class EventRecorder:
    """`post` queues an Event and returns at once; `run` (one long-lived task) posts the
    queues, each rollout's in order, retrying the head of a queue after a growing delay."""

    def __init__(self, api: KubeApi) -> None:
        self.api = api
        self._queues: dict[Key, deque[dict[str, Any]]] = {}
        self._failures: dict[Key, int] = {}
        self._retry_at: dict[Key, float] = {}
        self._wake = asyncio.Event()
        self.posted = 0
        self.retried = 0
        self.dropped = 0

    def post(
        self,
        rollout: dict[str, Any],
        kind: str,
        reason: str,
        message: str,
        said: tuple[str, ...] = (),
    ) -> None:
        meta = rollout["metadata"]
        key = (meta["namespace"], meta["name"], str(meta.get("uid") or ""))
        queue = self._queues.setdefault(key, deque())
        if len(queue) >= PENDING_PER_ROLLOUT:
            lost = queue.popleft()
            self.dropped += 1
            logger.warning("%s/%s: Event %s dropped, too many unposted", *key[:2], lost["reason"])
        queue.append(event_body(rollout, kind, reason, message, said))
        self._wake.set()

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # Cleared before looking, so a post made meanwhile wakes the wait below.
            self._wake.clear()
            now = loop.time()
            due = [k for k, q in self._queues.items() if q and self._retry_at.get(k, 0) <= now]
            if due:
                # kopf, as it ends, cancels the tasks made while it ran, these drains among
                # them: a drain cut short keeps its Event at the head of its queue, and this
                # loop, which kopf spares, goes on.
                drained = await asyncio.gather(
                    *(self._drain(key) for key in due), return_exceptions=True
                )
                for key, outcome in zip(due, drained, strict=True):
                    if isinstance(outcome, Exception):
                        logger.error("%s/%s: posting Events failed", *key[:2], exc_info=outcome)
                        self._retry_at[key] = loop.time() + RETRY_DELAYS[-1]
                continue
            waiting = [self._retry_at[k] for k, q in self._queues.items() if q]
            timeout = max(0.0, min(waiting) - now) if waiting else None
            # Not wait_for: it waits in a task of its own, which kopf would cancel too.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _drain(self, key: Key) -> None:
        queue = self._queues[key]
        while queue:
            body = queue[0]
            try:
                await self.api.create(EVENTS, key[0], body)
            except Exception as exc:
                if not _retryable(exc):
                    queue.popleft()
                    self.dropped += 1
                    logger.warning("%s/%s: Event %s refused: %s", *key[:2], body["reason"], exc)
                    continue
                failures = self._failures.get(key, 0)
                self._failures[key] = failures + 1
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                self._retry_at[key] = asyncio.get_running_loop().time() + delay
                self.retried += 1
                logger.info(
                    "%s/%s: Event %s not posted (%s); retrying in %ss",
                    *key[:2],
                    body["reason"],
                    exc,
                    delay,
                )
                return
            queue.popleft()
            self.posted += 1
            self._failures.pop(key, None)
            self._retry_at.pop(key, None)
        del self._queues[key]

    async def flush(self, timeout: float) -> None:
        """Wait, at most `timeout` seconds, for every queued Event to be posted."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pending and loop.time() < deadline:
            await asyncio.sleep(0.1)
        if self.pending:
            logger.warning("%d Events not posted before the operator stopped", self.pending)
