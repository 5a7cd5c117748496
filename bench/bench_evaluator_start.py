"""Evaluator start-up: seconds for a fresh process to build its LPIPS scorer, as every
evaluator Job and check worker does first, against a baseline of the same process with
torch._dynamo imported beforehand, which is what building the scorer cost before torchvision
was imported without it. Both kinds alternate in one run, so machine load falls on both.

    python bench/bench_evaluator_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from evaluator_bench import machine
from pixelproof_demo.environment import child_environment

PROGRAM = """
import json, sys, time
started = time.perf_counter()
if sys.argv[1] == "baseline":
    import torch._dynamo
from pixelproof_evaluator.perceptual import build_scorer
build_scorer(device="cpu")
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def one(kind: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, kind],
        capture_output=True,
        text=True,
        check=True,
        env=child_environment(),
        timeout=300,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"baseline": [], "now": []}
    one("now")  # the first process of a run also pays cold file caches
    for _ in range(args.runs):
        for kind in times:
            times[kind].append(one(kind))
    base, now = (statistics.median(times[k]) for k in ("baseline", "now"))
    print(f"machine: {machine('cpu')}")
    print(f"scorer built in a fresh process, median of {args.runs}:")
    print(f"  baseline (torch._dynamo imported): {base:.2f} s")
    print(f"  now:                               {now:.2f} s")
    print(f"  ratio baseline/now: {base / now:.2f}x, {base - now:.2f} s saved per process")


if __name__ == "__main__":
    main()
