"""Perceptual distance to the golden reference (catalog F4, F5, F10), batched."""

from __future__ import annotations

from collections.abc import Sequence

from ..images import DecodedImage
from ..perceptual import LpipsScorer


def reference_distances(
    scorer: LpipsScorer, pairs: Sequence[tuple[DecodedImage, DecodedImage]]
) -> list[float]:
    """LPIPS of each (output, reference) pair; an output of the wrong size is resampled to the
    reference's size first, so its score still says how far the content drifted."""
    arrays = [
        (
            output.resized(reference.width, reference.height).rgb_on_backdrop(),
            reference.rgb_on_backdrop(),
        )
        for output, reference in pairs
    ]
    return scorer.distances(arrays)
