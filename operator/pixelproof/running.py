"""Things started and stopped around a block: local servers, clusters, whole stacks."""

from __future__ import annotations

import signal
import socketserver
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


def serve_in_thread(server: socketserver.BaseServer, name: str) -> threading.Thread:
    """Serve `server` from a daemon thread; a short poll keeps `shutdown()` prompt."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True
    )
    thread.start()
    return thread


def stop_serving(server: socketserver.BaseServer, thread: threading.Thread | None) -> None:
    """Stop what `serve_in_thread` started and release its socket."""
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join()
