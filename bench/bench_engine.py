"""Engine decisions per second on a 10-step rollout.

Baseline in the same run: the cost of parsing spec and status alone (what every
decision must pay), so the ratio shows what the decision logic itself adds.

    python bench/bench_engine.py [--rollouts 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.status import RolloutStatus
from pixelproof.simulation.world import SimulatedWorld

TEN_STEPS: dict[str, Any] = {
    "stable": {"deployment": "gen-v1", "service": "gen-stable"},
    "candidate": {"deployment": "gen-v2", "service": "gen-candidate"},
    "traffic": {"gatewayAPI": {"httpRoute": "gen"}},
    "steps": [
        {"setWeight": 1},
        {"evaluate": {}},
        {"pause": {"duration": "1m"}},
        {"setWeight": 10},
        {"evaluate": {}},
        {"setWeight": 25},
        {"pause": {"duration": "1m"}},
        {"setWeight": 50},
        {"pause": {}},
        {"setWeight": 100},
    ],
    "goldenSet": {"configMap": {"name": "golden"}},
    "evaluator": {"image": "registry.example/pixelproof-evaluator:0.1.0"},
    "metrics": {
        "prometheus": {"address": "http://prometheus:9090"},
        "gates": [
            {"name": "error-rate", "template": "error-rate"},
            {"name": "latency-p95", "template": "latency-p95"},
        ],
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rollouts", type=int, default=200)
    args = parser.parse_args()

    decisions = 0
    statuses: list[dict[str, Any]] = []
    start = time.perf_counter()
    for index in range(args.rollouts):
        world = SimulatedWorld(
            spec=TEN_STEPS,
            name=f"r{index}",
            tick_seconds=20.0,
            auto_promote=True,
            now=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=index),
        )
        for _ in range(200):
            world.tick()
            decisions += 1
            statuses.append(world.status)
            if world.finished:
                break
        assert world.status["phase"] == "Succeeded", world.status["message"]
    elapsed = time.perf_counter() - start

    start = time.perf_counter()
    for status in statuses:
        ModelRolloutSpec.model_validate(TEN_STEPS)
        RolloutStatus.model_validate(status)
    parse_only = time.perf_counter() - start

    rate = decisions / elapsed
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} python={platform.python_version()}"
    )
    print(
        f"rollouts: {args.rollouts} x 10 steps, decisions: {decisions} ({decisions / args.rollouts:.1f} per rollout)"
    )
    print(f"engine decisions/s: {rate:,.0f} ({elapsed / decisions * 1e6:.0f} us per decision)")
    print(
        f"baseline parse-only/s: {len(statuses) / parse_only:,.0f} ({parse_only / len(statuses) * 1e6:.0f} us)"
    )
    print(f"ratio decision/parse-only time: {elapsed / parse_only:.2f}x")


if __name__ == "__main__":
    main()
