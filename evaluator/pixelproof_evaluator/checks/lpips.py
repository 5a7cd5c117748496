"""Perceptual distance to the golden reference (catalog F4, F5, F10), batched; the gate holds
the mean, and optionally the worst item, to a maximum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.quality import LpipsGate

from ..images import DecodedImage
from ..perceptual import LpipsScorer
from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from .evidence import Evidence


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


def judge(gate: LpipsGate, evidence: Evidence) -> GateResult:
    threshold = f"mean <= {fmt(gate.max_mean)}"
    scored = [
        (r.item.id, r.candidate.lpips) for r in evidence.results if r.candidate.lpips is not None
    ]
    if not scored:
        return GateResult([no_data("lpips", threshold, "lpips: no candidate image decoded")])
    mean = float(np.mean([s for _, s in scored]))
    verdicts = [
        compare(
            "lpips",
            mean,
            "<=",
            gate.max_mean,
            threshold=threshold,
            measured=f"lpips mean {fmt(mean)}",
            bound=f"maxMean {fmt(gate.max_mean)} over {len(scored)} items",
        )
    ]
    if gate.max_item is not None:
        worst_id, worst = max(scored, key=lambda pair: pair[1])
        verdicts.append(
            compare(
                "lpips.item",
                worst,
                "<=",
                gate.max_item,
                threshold=f"each <= {fmt(gate.max_item)}",
                measured=f"lpips worst item {worst_id} {fmt(worst)}",
                bound=f"maxItem {fmt(gate.max_item)}",
            )
        )
    return GateResult(verdicts)
