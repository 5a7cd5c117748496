"""`pixelproof simulate`: play a ModelRollout through the engine and print every transition."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from pixelproof.engine import EmitEvent

from .world import SimulatedWorld

DEFAULT_EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "poster-gen-gatewayapi.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pixelproof simulate", description=__doc__)
    parser.add_argument(
        "file", nargs="?", type=Path, default=DEFAULT_EXAMPLE, help="a ModelRollout YAML file"
    )
    parser.add_argument("--evaluation", choices=["Pass", "Fail", "Inconclusive"], default="Pass")
    parser.add_argument(
        "--error-spike-at-step",
        type=int,
        default=None,
        help="error rate jumps to 30%% from this step",
    )
    parser.add_argument("--max-ticks", type=int, default=500)
    args = parser.parse_args(argv)
    doc = yaml.safe_load(args.file.read_text())
    world = SimulatedWorld(
        spec=doc["spec"],
        name=doc["metadata"]["name"],
        evaluation_verdict=args.evaluation,
        spike_at_step=args.error_spike_at_step,
        error_rate_after_spike=0.3,
        auto_promote=True,
        tick_seconds=30.0,
    )
    for _ in range(args.max_ticks):
        decision = world.tick()
        for action in decision.actions:
            if isinstance(action, EmitEvent):
                print(f"{world.now:%H:%M:%S} {action.type:7} {action.reason:24} {action.message}")
        if world.finished:
            break
    print(
        f"\nphase: {world.status.get('phase')}  weights: {world.status.get('weights')}\n{world.status.get('message')}"
    )
    return 0 if world.status.get("phase") == "Succeeded" else 1
