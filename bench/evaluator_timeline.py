"""The evaluation's timeline, read back from the spans the evaluator recorded
(pixelproof_evaluator/timeline.py): when the first images arrived, what each check worker
spent its time on and how long it sat idle, and what came after the last generation."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from pixelproof_evaluator.timeline import read_spans

WORK = ("firsts", "replays")
"""A check worker's pieces of work; the other phases nest inside them."""


def describe(path: Path, started: float, ended: float, main_cpu: float) -> list[str]:
    """Lines describing the spans of the evaluation that ran from `started` to `ended`
    (monotonic seconds), in which this process used `main_cpu` CPU seconds."""
    spans = [s for s in read_spans(path) if s["start"] >= started - 1e-3]
    if not spans:
        return ["timeline: no spans recorded"]

    def at(t: float) -> str:
        return f"{t - started:.2f} s"

    wall = ended - started
    generated = [s for s in spans if s["phase"] == "generate"]
    replays = [s for s in spans if s["phase"] == "generate replay"]
    lines = [f"timeline over {wall:.2f} s wall:"]
    if generated:
        lines.append(
            f"  generation: first images at {at(min(s['end'] for s in generated))}, last "
            f"first images at {at(max(s['end'] for s in generated))}, last replays at "
            f"{at(max((s['end'] for s in replays), default=started))}"
        )
    by_phase: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in spans:
        by_phase[s["phase"]].append(s)
    for phase, own in by_phase.items():
        if phase.startswith("generate") or phase == "in pool":
            continue
        walls = [s["end"] - s["start"] for s in own]
        cpus = [s["cpu"] for s in own]
        lines.append(
            f"  {phase:16s} {len(own):3d} x median {statistics.median(walls) * 1000:6.1f} ms wall "
            f"{statistics.median(cpus) * 1000:6.1f} ms CPU, in all {sum(walls):.2f} s wall "
            f"{sum(cpus):.2f} s CPU"
        )
    lines.append(f"  this process (generation, queues, results): {main_cpu:.2f} s CPU")
    work = [s for s in spans if s["phase"] in WORK]
    by_pid: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in work:
        by_pid[s["pid"]].append(s)
    for pid, own in sorted(by_pid.items()):
        busy = sum(s["end"] - s["start"] for s in own)
        cpu = sum(s["cpu"] for s in own)
        first = min(s["start"] for s in own)
        last = max(s["end"] for s in own)
        lines.append(
            f"  worker {pid}: first work at {at(first)}, last done at {at(last)}, busy {busy:.2f} s "
            f"({cpu:.2f} s CPU), "
            f"idle {wall - busy:.2f} s ({first - started:.2f} s before its first work)"
        )
    waits = _pool_waits(spans)
    if waits:
        lines.append(
            f"  in the pool beyond the work itself (queue, transfer): median "
            f"{statistics.median(waits) * 1000:.1f} ms, total {sum(waits):.2f} s"
        )
    if work:
        last_generation = max(s["end"] for s in generated + replays)
        lines.append(
            f"  after the last generation: {max(s['end'] for s in work) - last_generation:.2f} s "
            f"of checks, then {ended - max(s['end'] for s in work):.2f} s to the verdict"
        )
    return lines


def _pool_waits(spans: list[dict[str, Any]]) -> list[float]:
    worked: dict[tuple[str, str], float] = {}
    for s in spans:
        if s["phase"] in WORK:
            worked[(s["phase"], s["item"])] = s["end"] - s["start"]
    waits = []
    # An item's pieces reach the pool in order: its first generations, then its replays.
    seen: dict[str, int] = defaultdict(int)
    for s in sorted((s for s in spans if s["phase"] == "in pool"), key=lambda s: s["start"]):
        piece = WORK[min(seen[s["item"]], 1)]
        seen[s["item"]] += 1
        if (piece, s["item"]) in worked:
            waits.append(s["end"] - s["start"] - worked[(piece, s["item"])])
    return waits
