"""Seed replay (catalog F6): the same prompt and seed twice must give nearly the same image.
Bit-exact output is not required across hardware, so the two are compared with LPIPS."""

from __future__ import annotations

from collections.abc import Sequence

from ..images import DecodedImage
from ..perceptual import LpipsScorer

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
