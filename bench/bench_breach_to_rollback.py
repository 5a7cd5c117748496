"""Breach to rollback: how long after an error-rate breach is visible in Prometheus all
traffic is back on the stable model.

A real Prometheus (scrape interval 1 s) scrapes two reference generator processes under
load; the real sampler queries an `error-rate` gate every second and the real engine
decides; a weight holder stands in for the router's data plane. Each run registers the
generators under fresh Service names, waits for the gate to pass, injects
`error_rate=0.5` into the candidate, and measures:

- breach -> rollback: from the first query that returned a breaching value to the
  engine's SetWeights(stable 100, candidate 0) applied;
- injection -> rollback: the same end, from the fault injection (wall time, including
  scrape delay and the rate window filling).

Baseline in the same run: a `critical` gate, which rolls back on the first breach, so
its breach -> rollback time is the loop's own cost (decide and apply). The ratio shows
what failureLimit 2 adds; by design that is one gate interval.

    python bench/bench_breach_to_rollback.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixelproof.api.status import STABLE_ONLY
from pixelproof.metrics.sampler import Sampler
from pixelproof_demo.prometheus import PrometheusServer, find_prometheus
from pixelproof_testkit.generators import Generator
from pixelproof_testkit.metrics import (
    Load,
    RolloutLoop,
    WeightHolder,
    rollout_spec,
)

INTERVAL_SECONDS = 1.0
THRESHOLD = 0.02


@dataclass
class Run:
    breach_to_rollback: float
    inject_to_rollback: float
    inject_to_visible: float


def one_run(
    number: int,
    tag: str,
    gate: dict[str, Any],
    prometheus: PrometheusServer,
    stable: Generator,
    candidate: Generator,
    sampler: Sampler,
) -> Run:
    services = {side: f"bench-{number}-{tag}-{side}" for side in ("stable", "candidate")}
    candidate.set_faults({})
    for side, generator in (("stable", stable), ("candidate", candidate)):
        prometheus.add_target(generator.address, {"namespace": "bench", "service": services[side]})
    spec = rollout_spec(
        prometheus.url,
        services["stable"],
        services["candidate"],
        [gate],
        steps=[{"setWeight": 20}, {"pause": {"duration": "1h"}}, {"setWeight": 100}],
        interval=f"{INTERVAL_SECONDS:g}s",
    )
    holder = WeightHolder()
    loop = RolloutLoop(spec, sampler, holder, namespace="bench", name=f"bench-{number}-{tag}")
    with Load(stable, candidate, holder):
        loop.run_until(
            lambda r: r.gate(gate["name"]).get("verdict") == "Pass",
            timeout=60,
            what="the gate to pass",
            every=0.01,
        )
        candidate.set_faults({"error_rate": 0.5, "fault_seed": number})
        injected = time.monotonic()
        loop.run_until(lambda r: r.finished, timeout=60, what="the rollback", every=0.01)
    if loop.phase != "RolledBack":
        raise RuntimeError(f"run {number}: expected RolledBack, got {loop.status.get('message')}")
    visible = next(
        t.sampled
        for t in loop.ticks
        if t.started > injected
        for s in t.samples
        if s.value is not None and s.value > THRESHOLD
    )
    rolled_back = next(at for at, w in holder.changes if at >= visible and w == STABLE_ONLY)
    return Run(rolled_back - visible, rolled_back - injected, visible - injected)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = q * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def summary(label: str, values: list[float]) -> str:
    return (
        f"{label:<30} p50 {statistics.median(values) * 1000:8.1f} ms"
        f"   p95 {percentile(values, 0.95) * 1000:8.1f} ms"
        f"   min {min(values) * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms"
    )


def machine() -> str:
    version = subprocess.run(
        [find_prometheus(), "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return (
        f"{platform.platform()} | {platform.processor() or platform.machine()} | "
        f"{os.cpu_count()} CPUs | Python {platform.python_version()} | "
        f"{version[0] if version else 'prometheus ?'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="runs per gate configuration")
    args = parser.parse_args()
    configs = {
        "critical": {"name": "errors", "template": "error-rate", "critical": True},
        "failureLimit 2": {"name": "errors", "template": "error-rate", "failureLimit": 2},
    }
    results: dict[str, list[Run]] = {label: [] for label in configs}
    workdir = Path(tempfile.mkdtemp(prefix="pixelproof-bench-"))
    prometheus = PrometheusServer(workdir)
    prometheus.start()
    stable = Generator()
    candidate = Generator()
    try:
        with Sampler() as sampler:
            for number in range(args.runs):
                for label, gate in configs.items():
                    tag = label.replace(" ", "-").lower()
                    run = one_run(number, tag, gate, prometheus, stable, candidate, sampler)
                    results[label].append(run)
                    print(
                        f"run {number + 1:>2} {label:<15} breach->rollback "
                        f"{run.breach_to_rollback * 1000:7.1f} ms   injection->rollback "
                        f"{run.inject_to_rollback * 1000:7.1f} ms",
                        flush=True,
                    )
    finally:
        stable.stop()
        candidate.stop()
        prometheus.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"machine: {machine()}")
    print(
        f"gate: error-rate <= {THRESHOLD}, interval {INTERVAL_SECONDS:g}s, scrape interval 1s, "
        f"rate window 60s, {args.runs} runs per configuration"
    )
    for label, runs in results.items():
        print(f"[{label}]")
        print(summary("  breach -> rollback", [r.breach_to_rollback for r in runs]))
        print(summary("  injection -> breach visible", [r.inject_to_visible for r in runs]))
        print(summary("  injection -> rollback", [r.inject_to_rollback for r in runs]))
    base = statistics.median(r.breach_to_rollback for r in results["critical"])
    limited = statistics.median(r.breach_to_rollback for r in results["failureLimit 2"])
    print(
        f"ratio breach->rollback p50, failureLimit 2 / critical baseline: {limited / base:.1f}x "
        f"(design: critical acts on the breach itself; failureLimit 2 waits one interval, "
        f"{INTERVAL_SECONDS * 1000:.0f} ms, for the second breach)"
    )


if __name__ == "__main__":
    main()
