"""Perceptual distance to the golden reference (catalog F4, F5, F10), batched; the gate holds
the mean to a maximum or to a multiple of the calibrated noise floor, and optionally the
worst item to a maximum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import LpipsGate

from ..images import DecodedImage
from .gate import GateResult, compare, fmt, no_data
from .noise_floor import judge_multiple

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence


def sized_like(output: DecodedImage, reference: DecodedImage) -> DecodedImage:
    """The output as LPIPS compares it with the reference: one of the wrong size is resampled
    to the reference's size first, so its score still says how far the content drifted."""
    return output.resized(reference.width, reference.height)


def judge(gate: LpipsGate, evidence: Evidence) -> GateResult:
    scored = [(r, r.candidate.lpips) for r in evidence.results if r.candidate.lpips is not None]
    verdicts: list[GateVerdict] = []
    if gate.max_mean is not None:
        verdicts.append(_absolute_mean(gate.max_mean, scored))
    if gate.max_noise_multiple is not None:
        verdicts.append(
            judge_multiple(
                "lpips.noiseFloor",
                "lpips",
                gate.max_noise_multiple,
                scored,
                evidence,
                label="lpips mean",
            )
        )
    if gate.max_item is not None and scored:
        worst, value = max(scored, key=lambda pair: pair[1])
        verdicts.append(
            compare(
                "lpips.item",
                value,
                "<=",
                gate.max_item,
                threshold=f"lpips worst item <= {fmt(gate.max_item)}",
                measured=f"lpips worst item {worst.item.id} {fmt(value)}",
                bound=f"maxItem {fmt(gate.max_item)}",
            )
        )
    return GateResult(verdicts)


def _absolute_mean(max_mean: float, scored: Sequence[tuple[ItemResult, float]]) -> GateVerdict:
    threshold = f"lpips mean <= {fmt(max_mean)}"
    if not scored:
        return no_data("lpips", threshold, "lpips: no candidate image decoded")
    mean = float(np.mean([s for _, s in scored]))
    return compare(
        "lpips",
        mean,
        "<=",
        max_mean,
        threshold=threshold,
        measured=f"lpips mean {fmt(mean)}",
        bound=f"maxMean {fmt(max_mean)} over {len(scored)} items",
    )
