"""A recorder on a free localhost port with a clock the test moves, and a way to send it
requests as the data plane's mirror does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from pixelproof_evaluator.recorder.redaction import Redactor
from pixelproof_evaluator.recorder.server import RecorderServer
from pixelproof_evaluator.recorder.store import SampleStore
from pixelproof_testkit.polling import wait_for

REPO = Path(__file__).resolve().parents[2]
RECORD_COMMAND = [sys.executable, "-m", "pixelproof_evaluator", "record"]


def evaluator_env() -> dict[str, str]:
    """This checkout's operator and evaluator packages first, for a child process."""
    return {**os.environ, "PYTHONPATH": f"{REPO / 'operator'}{os.pathsep}{REPO / 'evaluator'}"}


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@contextmanager
def recorder(
    *,
    max_count: int = 100,
    retention: timedelta = timedelta(hours=1),
    redact: list[str] | None = None,
    data_dir: Path | None = None,
    clock: Clock | None = None,
    **server: Any,
) -> Iterator[RecorderServer]:
    store = SampleStore(
        max_count, retention, data_dir=data_dir, clock=clock or Clock(datetime.now(UTC))
    )
    with RecorderServer(store, Redactor(redact or []), **server) as running:
        yield running


def body(prompt: str, seed: int = 1, size: str = "128x128", **fields: Any) -> dict[str, Any]:
    return {"prompt": prompt, "seed": seed, "size": size, **fields}


def samples(url: str, count: int = 1000) -> list[dict[str, Any]]:
    reply = httpx.get(f"{url}/samples", params={"count": count}, timeout=10)
    reply.raise_for_status()
    return [httpx.Response(200, content=line).json() for line in reply.text.splitlines()]


def metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no metric {name} in {text}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def record_process(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m pixelproof_evaluator record` on a free port, serving until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [*RECORD_COMMAND, "--port", str(port), "--host", "127.0.0.1", *args]
    proc = subprocess.Popen(
        command,
        env=evaluator_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url), timeout=30, what="the record command serving")
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)
