"""Preservation outside the mask: an inpainting model repaints the masked region and leaves
the rest of the input as it was. The mean absolute difference from the input outside the
mask, in 8-bit levels, is held to a maximum or to a multiple of the calibrated noise floor; a
model that repaints everything, or whose repaint bleeds past the mask, fails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.input_gates import PreservationGate

from ..images import DecodedImage
from .gate import GateResult, compare, fmt, no_data
from .noise_floor import judge_multiple

if TYPE_CHECKING:
    from ..golden_inputs import ItemInput
    from ..results import ItemResult
    from .evidence import Evidence


def preservation_error(output: DecodedImage, item_input: ItemInput) -> float | None:
    """Mean absolute difference (8-bit levels) from the input outside the mask; None for
    items without a mask. An output of another size is compared resampled to the input's."""
    if item_input.mask is None:
        return None
    source = item_input.image
    resized = output.resized(source.width, source.height)
    difference = np.abs(resized.rgb_on_backdrop() - source.rgb_on_backdrop()).mean(axis=-1)
    return float(difference[~item_input.mask].mean() * 255.0)


def judge(gate: PreservationGate, evidence: Evidence) -> GateResult:
    scored = [
        (r, r.candidate.preservation)
        for r in evidence.results
        if r.candidate.preservation is not None
    ]
    verdicts: list[GateVerdict] = []
    if gate.max_mean_error is not None:
        verdicts.append(_absolute(gate.max_mean_error, scored))
    if gate.max_noise_multiple is not None:
        verdicts.append(
            judge_multiple(
                "preservation.noiseFloor",
                "preservation",
                gate.max_noise_multiple,
                scored,
                evidence,
                label="mean error outside the mask",
            )
        )
    scores = (
        {"preservationMean": round(float(np.mean([v for _, v in scored])), 3)} if scored else {}
    )
    return GateResult(verdicts, scores)


def _absolute(limit: float, scored: Sequence[tuple[ItemResult, float]]) -> GateVerdict:
    threshold = f"mean error outside the mask <= {fmt(limit)}"
    if not scored:
        return no_data(
            "preservation", threshold, "preservation: no candidate image of an inpaint item decoded"
        )
    mean = float(np.mean([v for _, v in scored]))
    worst, value = max(scored, key=lambda pair: pair[1])
    return compare(
        "preservation",
        mean,
        "<=",
        limit,
        threshold=threshold,
        measured=(
            f"preservation: mean error outside the mask {fmt(mean)} levels "
            f"(worst {worst.item.id} {fmt(value)})"
        ),
        bound=f"maxMeanError {fmt(limit)} over {len(scored)} inpaint items",
    )
