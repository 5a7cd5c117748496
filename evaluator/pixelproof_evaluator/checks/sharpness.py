"""Edge detail (catalog F5): variance of the Laplacian, relative to the reference's; the gate
holds the candidate's median ratio to a minimum, or its mean deficit (-ln ratio) to a
multiple of the calibrated noise floor."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import SharpnessGate

from ..images import DecodedImage
from .gate import GateResult, compare, fmt, no_data
from .noise_floor import judge_multiple

if TYPE_CHECKING:
    from .evidence import Evidence

# Below this the reference is essentially flat and a ratio would only amplify noise.
MIN_REFERENCE_VARIANCE = 1e-6
# A ratio this small is as blurry as it gets; it keeps the logarithm of a flat output finite.
MIN_RATIO = 1e-6


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


def sharpness_deficit(ratio: float) -> float:
    """How much blurrier than the reference: 0 for as sharp, positive for blurrier, negative
    for sharper."""
    return -math.log(max(ratio, MIN_RATIO))


def judge(gate: SharpnessGate, evidence: Evidence) -> GateResult:
    scored = [
        (r, r.candidate.sharpness) for r in evidence.results if r.candidate.sharpness is not None
    ]
    verdicts: list[GateVerdict] = []
    if not scored:
        why = (
            "no candidate image with a textured reference"
            if evidence.usable()
            else "no candidate image decoded"
        )
        names = [("sharpness", gate.min_ratio), ("sharpness.noiseFloor", gate.max_noise_multiple)]
        return GateResult(
            [no_data(name, "", f"{name}: {why}") for name, bound in names if bound is not None]
        )
    ratio = float(np.median([v for _, v in scored]))
    if gate.min_ratio is not None:
        verdicts.append(
            compare(
                "sharpness",
                ratio,
                ">=",
                gate.min_ratio,
                threshold=f"median Laplacian variance ratio >= {fmt(gate.min_ratio)}",
                measured=f"sharpness: median Laplacian variance ratio {fmt(ratio)}",
                bound=f"minRatio {fmt(gate.min_ratio)}",
            )
        )
    if gate.max_noise_multiple is not None:
        deficits = [(r, sharpness_deficit(v)) for r, v in scored]
        verdicts.append(
            judge_multiple(
                "sharpness.noiseFloor",
                "sharpness_deficit",
                gate.max_noise_multiple,
                deficits,
                evidence,
                label="mean sharpness deficit",
            )
        )
    return GateResult(verdicts, {"sharpnessRatio": round(ratio, 4)})
