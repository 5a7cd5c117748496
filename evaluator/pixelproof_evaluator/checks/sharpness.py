"""Edge detail (catalog F5): variance of the Laplacian, relative to the reference's; the gate
holds the candidate's median ratio to a minimum."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from pixelproof.api.quality import SharpnessGate

from ..images import DecodedImage
from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from .evidence import Evidence

# Below this the reference is essentially flat and a ratio would only amplify noise.
MIN_REFERENCE_VARIANCE = 1e-6


def laplacian_variance(rgb: NDArray[np.float32]) -> float:
    gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    lap = (
        gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:] - 4.0 * gray[1:-1, 1:-1]
    )
    return float(lap.var())


def sharpness_ratio(output: DecodedImage, reference: DecodedImage) -> float | None:
    reference_variance = laplacian_variance(reference.rgb_on_backdrop())
    if reference_variance < MIN_REFERENCE_VARIANCE:
        return None
    resized = output.resized(reference.width, reference.height)
    return laplacian_variance(resized.rgb_on_backdrop()) / reference_variance


def judge(gate: SharpnessGate, evidence: Evidence) -> GateResult:
    threshold = f"ratio >= {fmt(gate.min_ratio)}"
    values = [r.candidate.sharpness for r in evidence.results if r.candidate.sharpness is not None]
    if not values:
        return GateResult(
            [
                no_data(
                    "sharpness",
                    threshold,
                    "sharpness: no candidate image with a textured reference",
                )
            ]
        )
    ratio = float(np.median(values))
    verdict = compare(
        "sharpness",
        ratio,
        ">=",
        gate.min_ratio,
        threshold=threshold,
        measured=f"sharpness: median Laplacian variance ratio {fmt(ratio)}",
        bound=f"minRatio {fmt(gate.min_ratio)}",
    )
    return GateResult([verdict], {"sharpnessRatio": round(ratio, 4)})
