"""A recorder on a free localhost port with a clock the test moves, and a way to send it
requests as the data plane's mirror does."""

from __future__ import annotations

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
