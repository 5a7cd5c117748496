"""The event loop the operator runs on: uvloop's when it is installed, as kopf's own
command line chooses, the standard library's when it is not or when asked for.

At hundreds of rollouts most of the operator's CPU goes to the loop itself: scheduling
the callbacks of kopf's watch streams, its timers and every HTTP request, and polling
their sockets. uvloop does that in C; the operator benchmark measures the difference."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

EVENT_LOOPS = ("uvloop", "asyncio")
DEFAULT_EVENT_LOOP = "uvloop"

T = TypeVar("T")


def check_event_loop(name: str) -> None:
    if name not in EVENT_LOOPS:
        raise ValueError(f"--event-loop {name!r}: must be one of {', '.join(EVENT_LOOPS)}")


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What asyncio.Runner makes its loop with for `name`; None: the standard library's."""
    check_event_loop(name)
    if name == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        logger.warning("uvloop is not installed: running on the standard library's event loop")
        return None
    return uvloop.new_event_loop


def run_on(name: str, main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to its end on a new loop of the kind `name` says, as asyncio.run does."""
    with asyncio.Runner(loop_factory=loop_factory(name)) as runner:
        logger.info("event loop: %s", loop_name(runner.get_loop()))
        return runner.run(main)


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
