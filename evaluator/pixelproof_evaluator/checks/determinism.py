"""Seed replay (catalog F6): the same prompt and seed twice must give nearly the same image.
Bit-exact output is not required across hardware, so the two are compared with LPIPS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pixelproof.api.quality import DeterminismGate

from ..images import DecodedImage
from ..perceptual import LpipsScorer
from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from .evidence import Evidence

DIFFERENT_SIZE_DISTANCE = 1.0


def replay_distances(
    scorer: LpipsScorer, pairs: Sequence[tuple[DecodedImage, DecodedImage]]
) -> list[float]:
    """LPIPS between first and second generation; a replay of another size is as different
    as an image can be."""
    same = [i for i, (a, b) in enumerate(pairs) if (a.width, a.height) == (b.width, b.height)]
    scores = scorer.distances(
        [(pairs[i][0].rgb_on_backdrop(), pairs[i][1].rgb_on_backdrop()) for i in same]
    )
    results = [DIFFERENT_SIZE_DISTANCE] * len(pairs)
    for index, score in zip(same, scores, strict=True):
        results[index] = score
    return results


def judge(gate: DeterminismGate, evidence: Evidence) -> GateResult:
    tolerance = gate.max_replay_distance
    threshold = f"replay <= {fmt(tolerance)}"
    scored = [
        (r.item.id, r.candidate.replay_distance)
        for r in evidence.results
        if r.candidate.replay_distance is not None
    ]
    if not scored:
        return GateResult(
            [no_data("determinism", threshold, "determinism: no item was generated twice")]
        )
    worst_id, worst = max(scored, key=lambda pair: pair[1])
    verdict = compare(
        "determinism",
        worst,
        "<=",
        tolerance,
        threshold=threshold,
        measured=f"determinism: worst replay distance {fmt(worst)} ({worst_id})",
        bound=f"maxReplayDistance {fmt(tolerance)} over {len(scored)} items",
    )
    return GateResult([verdict], {"replayDistanceMax": round(worst, 4)})
