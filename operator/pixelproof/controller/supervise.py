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
STOPPING_SECONDS = 30.0
"""How long kopf may take to stop once it has begun to (its own clean-up gives its tasks
5 s); past that it is cancelled."""
CANCEL_SECONDS = 10.0
"""How long kopf may take to honour that cancel."""
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


class KopfStuck(RuntimeError):
    """kopf began to stop and did not: it is started again as after any failure."""


async def until_kopf_returns(
    kopf_run: asyncio.Task[None], began_stopping: asyncio.Event, on_stuck: Callable[[], None]
) -> None:
    """Wait for `kopf_run`; once `began_stopping` is set, only so long. kopf can stay in its
    shutdown for good: a watch request it retries when its stop comes is never cancelled
    (its cancel callback asserts a current task where there is none), and that watcher
    goes on listing and watching. Then kopf is cancelled; if it ignores that as well,
    `on_stuck` is called (a process exits, so that its pod is restarted) and the run is
    left behind. Both tasks must exist before kopf starts: kopf cancels, as it stops,
    every task made while it ran."""
    began = asyncio.ensure_future(began_stopping.wait())
    try:
        await asyncio.wait({kopf_run, began}, return_when=asyncio.FIRST_COMPLETED)
        if not kopf_run.done():
            await asyncio.wait({kopf_run}, timeout=STOPPING_SECONDS)
        if not kopf_run.done():
            logger.error(
                "kopf has not stopped %ss after it began to; cancelling it", STOPPING_SECONDS
            )
            kopf_run.cancel()
            await asyncio.wait({kopf_run}, timeout=CANCEL_SECONDS)
            if not kopf_run.done():
                logger.error("kopf ignored its cancel for %ss", CANCEL_SECONDS)
                on_stuck()
                raise KopfStuck(f"kopf did not stop within {STOPPING_SECONDS + CANCEL_SECONDS}s")
            if kopf_run.cancelled():
                raise KopfStuck(f"kopf did not stop within {STOPPING_SECONDS}s and was cancelled")
        kopf_run.result()
    except asyncio.CancelledError:
        # The wait itself was cancelled (its caller is going): kopf goes with it.
        if not kopf_run.done():
            kopf_run.cancel()
        raise
    finally:
        began.cancel()
