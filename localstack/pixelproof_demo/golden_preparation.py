"""The golden set made ready in the background: captured from the stable generator and
calibrated against it while the rollouts already run their first steps, which need no
golden set. An evaluator Job that mounts it before it is ready waits, as a pod waits for
its volume."""

from __future__ import annotations

import threading
from collections.abc import Callable

READY_TIMEOUT_SECONDS = 900.0


class GoldenSetNotReady(RuntimeError):
    """Preparing the golden set failed, or did not end in time."""


class GoldenPreparation:
    def __init__(self, prepare: Callable[[], None]) -> None:
        self._prepare = prepare
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="golden set", daemon=True)

    def start(self) -> GoldenPreparation:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._prepare()
        except BaseException as exc:  # reported to whoever waits, not lost with the thread
            self._error = exc
        finally:
            self._done.set()

    def wait(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Return once the golden set is ready; raise GoldenSetNotReady with the cause when
        preparing it failed or took longer than `timeout`."""
        if not self._done.wait(timeout):
            raise GoldenSetNotReady(f"the golden set was not ready after {timeout:g}s")
        if self._error is not None:
            raise GoldenSetNotReady(str(self._error)) from self._error
