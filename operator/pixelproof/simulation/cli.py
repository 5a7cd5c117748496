"""`pixelproof simulate`: play a ModelRollout through the engine and print every transition.

Exits 0 when the rollout succeeds, 1 when it ends otherwise, 2 when the file is invalid."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pixelproof.api.validation import validate_modelrollout
from pixelproof.engine import EmitEvent, ScaleWithinBudget, SetRoutePolicies
from pixelproof.lint import read_documents

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
    doc, problems = _rollout(args.file)
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return 2
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
            elif isinstance(action, ScaleWithinBudget):
                print(
                    f"{world.now:%H:%M:%S} {'Budget':7} {'Replicas':24} "
                    f"stable {action.stable}, candidate {action.candidate}"
                )
            elif isinstance(action, SetRoutePolicies):
                state = "in place" if action.active else "removed"
                print(
                    f"{world.now:%H:%M:%S} {'Route':7} {'Policies':24} canary header and session routes {state}"
                )
        if world.finished:
            break
    print(
        f"\nphase: {world.status.get('phase')}  weights: {world.status.get('weights')}\n{world.status.get('message')}"
    )
    return 0 if world.status.get("phase") == "Succeeded" else 1


def _rollout(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The file's ModelRollout, or why it cannot be simulated: the problems `pixelproof
    lint` reports, since the engine would only stall on them."""
    try:
        documents = read_documents(path)
    except ValueError as exc:
        return {}, [str(exc)]
    rollouts = [d for d in documents if isinstance(d, dict) and d.get("kind") == "ModelRollout"]
    if len(rollouts) != 1:
        return {}, [f"expected one ModelRollout, found {len(rollouts)}"]
    return rollouts[0], validate_modelrollout(rollouts[0])
