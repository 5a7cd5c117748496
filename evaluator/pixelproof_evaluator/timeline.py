"""Where an evaluation's time goes: with PIXELPROOF_EVALUATOR_TIMELINE naming a file, every
span (a phase of one item's work, in this process or a check worker) is appended to it as
a JSON line: phase, item, process id, start and end on the machine's monotonic clock, which
all processes share, and the CPU seconds the process used meanwhile. Unset, a span costs
one environment lookup."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TIMELINE_ENV = "PIXELPROOF_EVALUATOR_TIMELINE"


def _append(path: str, phase: str, item: str, start: float, end: float, cpu: float) -> None:
    fields = {"phase": phase, "item": item, "pid": os.getpid(), "start": start, "end": end}
    line = json.dumps({**fields, "cpu": cpu})
    # One short write in append mode: lines from several processes do not interleave.
    with open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")


@contextmanager
def span(phase: str, item: str = "") -> Iterator[None]:
    path = os.environ.get(TIMELINE_ENV)
    if not path:
        # The process's CPU clock sums every thread's: in the evaluator's process, with its
        # pool's and torch's threads, a read took 0.14-0.22 ms, 20-30 ms an evaluation.
        yield
        return
    start, cpu = time.monotonic(), time.process_time()
    try:
        yield
    finally:
        _append(path, phase, item, start, time.monotonic(), time.process_time() - cpu)


def read_spans(path: Path) -> list[dict[str, Any]]:
    """The spans recorded in `path`, in the order they ended; none when it was not written."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]
