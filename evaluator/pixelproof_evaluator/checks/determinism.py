"""Seed replay (catalog F6): the same prompt and seed twice must give nearly the same image.
Bit-exact output is not required across hardware, so the two are compared with LPIPS
(item_lpips.py); a replay of another size is as different as an image can be."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixelproof.api.quality import DeterminismGate

from .gate import GateResult, compare, fmt, no_data
from .noise_floor import judge_multiple

if TYPE_CHECKING:
    from .evidence import Evidence

DIFFERENT_SIZE_DISTANCE = 1.0


def _why_unscored(evidence: Evidence) -> str:
    usable = evidence.usable()
    if not usable:
        return "no candidate image decoded"
    replayed = [r for r in usable if r.candidate.replay is not None]
    if not replayed:
        return "no item was generated twice"
    return f"none of the {len(replayed)} candidate replays gave an image that decoded"


def judge(gate: DeterminismGate, evidence: Evidence) -> GateResult:
    scored = [
        (r, r.candidate.replay_distance)
        for r in evidence.results
        if r.candidate.replay_distance is not None
    ]
    bounds = [
        ("determinism", gate.max_replay_distance),
        ("determinism.noiseFloor", gate.max_noise_multiple),
    ]
    if not scored:
        why = _why_unscored(evidence)
        return GateResult(
            [no_data(name, "", f"{name}: {why}") for name, bound in bounds if bound is not None]
        )
    worst, value = max(scored, key=lambda pair: pair[1])
    verdicts = []
    if gate.max_replay_distance is not None:
        verdicts.append(
            compare(
                "determinism",
                value,
                "<=",
                gate.max_replay_distance,
                threshold=f"worst replay distance <= {fmt(gate.max_replay_distance)}",
                measured=f"determinism: worst replay distance {fmt(value)} ({worst.item.id})",
                bound=f"maxReplayDistance {fmt(gate.max_replay_distance)} over {len(scored)} items",
            )
        )
    if gate.max_noise_multiple is not None:
        verdicts.append(
            judge_multiple(
                "determinism.noiseFloor",
                "replay_distance",
                gate.max_noise_multiple,
                scored,
                evidence,
                label="worst replay distance",
                aggregate=max,
            )
        )
    return GateResult(verdicts, {"replayDistanceMax": round(value, 4)})
