"""`pixelproof simulate`: play a ModelRollout through the engine and print every transition.

GateSets and ClusterGateSets in the same file (or in --gate-sets files) are the sets the
rollout may list. Exits 0 when the rollout succeeds, 1 when it ends otherwise, 2 when a
file is invalid."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pixelproof.api.gatesets import GateSetKey
from pixelproof.api.validation import validate_modelrollout
from pixelproof.engine import EmitEvent, ScaleWithinBudget, SetRoutePolicies
from pixelproof.lint import read_documents

from .gate_sets import read_gate_sets
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
    parser.add_argument(
        "--gate-sets",
        type=Path,
        action="append",
        default=[],
        help="a YAML file of GateSets and ClusterGateSets (repeatable)",
    )
    parser.add_argument(
        "--and-back",
        action="store_true",
        help="after a success, roll out a next candidate, then return to this one, as a "
        "rollback to a proven revision does (shows spec.rollbackWindow)",
    )
    args = parser.parse_args(argv)
    doc, refused = _rollout(args.file)
    problems = [f"{args.file}: {problem}" for problem in refused]
    # A refused document may hold anything; its problems are reported below.
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    namespace = (meta.get("namespace") if isinstance(meta, dict) else None) or "default"
    gate_sets: dict[GateSetKey, Any] = {}
    for path in [args.file, *args.gate_sets]:
        found, bad = read_gate_sets(path, namespace)
        gate_sets.update(found)
        problems += [f"{path}: {problem}" for problem in bad]
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    world = SimulatedWorld(
        spec=doc["spec"],
        name=doc["metadata"]["name"],
        namespace=namespace,
        evaluation_verdict=args.evaluation,
        spike_at_step=args.error_spike_at_step,
        error_rate_after_spike=0.3,
        auto_promote=True,
        tick_seconds=30.0,
        gate_sets=gate_sets,
    )
    _play(world, args.max_ticks)
    if args.and_back and world.phase == "Succeeded":
        first = dict(world.spec["candidate"])
        for stable, candidate in (
            (first["deployment"], f"{first['deployment']}-next"),
            (f"{first['deployment']}-next", first["deployment"]),
        ):
            print(f"\n-- rolling out {candidate} next to {stable}")
            world.spec["stable"] = {**world.spec["stable"], "deployment": stable}
            world.spec["candidate"] = {**first, "deployment": candidate}
            world.generation += 1
            _play(world, args.max_ticks)
    return 0 if world.phase == "Succeeded" else 1


def _play(world: SimulatedWorld, max_ticks: int) -> None:
    for _ in range(max_ticks):
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
        f"\nphase: {world.status.get('phase')}  weights: {world.status.get('weights')}"
        f"{_mirror_state(world)}\n{world.status.get('message')}"
    )


def _mirror_state(world: SimulatedWorld) -> str:
    """The simulated route's mirror to the prompt recorder as the rollout leaves it, for
    rollouts with spec.liveTraffic."""
    if "liveTraffic" not in world.spec:
        return ""
    return f"  mirror: {'none' if world.mirror is None else f'{world.mirror}%'}"


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
