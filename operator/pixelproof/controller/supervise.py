"""Keeping kopf running through an API server's bad minutes.

kopf ends its whole operator when a watch fails with an error it does not retry (a 409
to a list or a watch, an ERROR event in a stream, a 5xx past its retries) or when one of
its own bookkeeping patches is refused; in a pod that exit is a crash loop. Here kopf is
started again in the same process instead, after a pause that grows while failures
follow each other. Nothing is lost by it: all rollout state is in the cluster."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0)
STEADY_SECONDS = 120.0
"""A run this long resets the pause before the next restart to the shortest."""


async def supervise(run: Callable[[], Awaitable[None]], stopping: Callable[[], bool]) -> int:
    """Run `run` until it returns (kopf returns when told to stop); after each failure
    start it again, unless `stopping()` or a SIGTERM/SIGINT says to stop. The number of
    restarts, for the caller's log."""
    loop = asyncio.get_running_loop()
    failures = restarts = 0
    while True:
        started = loop.time()
        try:
            await run()
            return restarts
        except Exception as exc:
            if stopping():
                return restarts
            if loop.time() - started >= STEADY_SECONDS:
                failures = 0
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            failures += 1
            logger.error(
                "kopf stopped on %s: %s; starting it again in %ss",
                type(exc).__name__,
                exc,
                delay,
                exc_info=exc,
            )
        if await _stopped_during(delay, stopping):
            return restarts
        restarts += 1


async def _stopped_during(seconds: float, stopping: Callable[[], bool]) -> bool:
    # kopf's signal handlers died with it: until it runs again, a signal stops us here.
    signalled = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = threading.current_thread() is threading.main_thread()
    if handled:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, signalled.set)
    try:
        deadline = loop.time() + seconds
        while loop.time() < deadline and not stopping() and not signalled.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signalled.wait(), min(0.2, deadline - loop.time()))
        return stopping() or signalled.is_set()
    finally:
        if handled:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
