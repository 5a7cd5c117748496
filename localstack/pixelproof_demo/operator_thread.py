"""The operator, kopf included, on its own event loop in a thread of this process."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from pixelproof.controller.event_loop import run_on
from pixelproof.controller.main import Operator, OperatorConfig
from pixelproof.controller.reconcile import Reconciler
from pixelproof.kube import load_connection

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class OperatorThread:
    """Watches every namespace, reconciling each rollout every `timer_interval` seconds."""

    def __init__(self, kubeconfig: Path, *, timer_interval: float = 1.0) -> None:
        config = OperatorConfig(timer_interval=timer_interval, on_ready=self._ready)
        self.operator = Operator(config, connection=load_connection(str(kubeconfig)))
        self._reconciler: Reconciler | None = None
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="pixelproof-operator", daemon=True)

    def _ready(self, reconciler: Reconciler) -> None:
        self._reconciler = reconciler

    def _main(self) -> None:
        try:
            run_on(self.operator.config.event_loop, self.operator.run_async(stop_flag=self._stop))
        except BaseException as exc:
            self._failure = exc

    def start(self) -> OperatorThread:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while self._reconciler is None:
            if self._failure is not None:
                raise RuntimeError("the operator failed to start") from self._failure
            if time.monotonic() > deadline:
                raise RuntimeError(f"the operator did not start within {START_TIMEOUT:g}s")
            time.sleep(0.05)
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_TIMEOUT)
        if self._thread.is_alive():
            logging.getLogger(__name__).warning(
                "the operator did not stop within %ss", STOP_TIMEOUT
            )
