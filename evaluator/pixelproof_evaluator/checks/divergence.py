"""Divergence from stable (catalog F16): LPIPS between stable's and the candidate's outputs
for the same prompt and seed, for changes that should be invisible (a new GPU type, runtime or
quantised weights). The mean is held to a maximum, or to a multiple of how far stable differs
from itself on a seed replay in the same run, and optionally the worst prompt to a maximum."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import DivergenceGate

from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence


def _noise_multiple(
    gate: DivergenceGate, multiple: float, scored: list[tuple[ItemResult, float]]
) -> GateVerdict:
    name = "divergence.noiseFloor"
    threshold = f"divergence mean <= {fmt(multiple)} x stable replay distance"
    replays = [r.stable.replay_distance for r, _ in scored if r.stable.replay_distance is not None]
    if not replays:
        return no_data(name, threshold, f"{name}: stable replayed none of the prompts it served")
    measured = float(np.mean(replays))
    floor = max(measured, gate.min_noise_floor or 0.0)
    note = "" if floor == measured else f" (measured {fmt(measured)}, minNoiseFloor applies)"
    limit = multiple * floor
    mean = float(np.mean([v for _, v in scored]))
    return compare(
        name,
        mean,
        "<=",
        limit,
        threshold=f"{threshold} {fmt(floor)} = {fmt(limit)}",
        measured=f"{name}: divergence mean {fmt(mean)}",
        bound=f"{fmt(multiple)} x stable replay distance {fmt(floor)}{note} = {fmt(limit)} "
        f"over {len(scored)} prompts",
    )


def judge(gate: DivergenceGate, evidence: Evidence) -> GateResult:
    scored = [
        (r, r.candidate.divergence) for r in evidence.results if r.candidate.divergence is not None
    ]
    if not scored:
        why = "divergence: no prompt has both a stable and a candidate image"
        bounds = [("divergence", gate.max_mean), ("divergence.noiseFloor", gate.max_noise_multiple)]
        return GateResult([no_data(name, "", why) for name, bound in bounds if bound is not None])
    mean = float(np.mean([v for _, v in scored]))
    verdicts: list[GateVerdict] = []
    if gate.max_mean is not None:
        verdicts.append(
            compare(
                "divergence",
                mean,
                "<=",
                gate.max_mean,
                threshold=f"divergence mean <= {fmt(gate.max_mean)}",
                measured=f"divergence: LPIPS to stable's output, mean {fmt(mean)}",
                bound=f"maxMean {fmt(gate.max_mean)} over {len(scored)} prompts",
            )
        )
    if gate.max_noise_multiple is not None:
        verdicts.append(_noise_multiple(gate, gate.max_noise_multiple, scored))
    if gate.max_item is not None:
        worst, value = max(scored, key=lambda pair: pair[1])
        verdicts.append(
            compare(
                "divergence.item",
                value,
                "<=",
                gate.max_item,
                threshold=f"divergence worst prompt <= {fmt(gate.max_item)}",
                measured=f"divergence worst prompt {worst.item.id} {fmt(value)}",
                bound=f"maxItem {fmt(gate.max_item)}",
            )
        )
    return GateResult(verdicts, {"divergenceMean": round(mean, 4)})
