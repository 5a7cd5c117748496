"""Waiting on something another thread or process does: the emulator's users poll, since
what they wait for (a pod, a handler, a scrape) announces itself nowhere they can listen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T | None],
    timeout: float = 15.0,
    what: str = "condition",
    every: float = 0.05,
) -> T:
    """Call `condition` every `every` seconds until it returns something truthy, and return
    that; after `timeout` seconds raise TimeoutError naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}; last: {result!r}")
        time.sleep(every)
