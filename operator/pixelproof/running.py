"""Things started and stopped around a block: local servers, clusters, whole stacks."""

from __future__ import annotations

import signal
import threading
from abc import ABC, abstractmethod
from types import FrameType, TracebackType
from typing import Self


class Running(ABC):
    """`with thing:` starts it and stops it, whatever the block raises."""

    @abstractmethod
    def start(self) -> object: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def stop_on_signals() -> threading.Event:
    """An event SIGTERM or SIGINT sets, for a process that serves until it is told to stop."""
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return done
