"""Colour statistics shift (catalog F4): CIELAB delta E (CIE76) of block mean colours from
the reference, held to a maximum, or to a multiple of the calibrated noise floor, over the candidate's
images."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import ColorGate

from ..images import DecodedImage
from .gate import GateResult, compare, fmt, no_data
from .noise_floor import judge_multiple

if TYPE_CHECKING:
    from .evidence import Evidence

# sRGB (D65) to CIE XYZ relative to the D65 white, in single precision: a thousandth of a
# delta E unit is far below any threshold, and float32 converts an image 2.5x as fast.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ],
    dtype=np.float64,
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)
_TO_WHITE_XYZ = (_RGB_TO_XYZ / _WHITE_D65[:, None]).T.astype(np.float32)
# Side of the blocks whose mean colours are compared, in pixels.
COLOR_BLOCK = 16


def rgb_to_lab(rgb: NDArray[np.float32]) -> NDArray[np.float32]:
    """sRGB in [0, 1] to CIELAB."""
    c = rgb.astype(np.float32, copy=False)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _TO_WHITE_XYZ
    epsilon = 216 / 24389
    kappa = 24389 / 27
    f = np.where(xyz > epsilon, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    lightness = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


def _blocks(values: NDArray[Any]) -> NDArray[Any]:
    """The image cut into COLOR_BLOCK-sided blocks: shape (rows, block h, cols, block w, ...)."""
    height, width = values.shape[:2]
    rows, cols = max(1, height // COLOR_BLOCK), max(1, width // COLOR_BLOCK)
    bh, bw = height // rows, width // cols
    cropped = values[: rows * bh, : cols * bw]
    return cropped.reshape(rows, bh, cols, bw, *values.shape[2:])


def mean_delta_e(
    output: DecodedImage, reference: DecodedImage, keep: NDArray[np.bool_] | None = None
) -> float | None:
    """Mean delta E between the mean colours of matching blocks: a colour cast moves every
    block, while a sub-pixel shift or other antialiasing only trades colour across edges
    inside a block and leaves its mean as it was. With `keep` (the reference's size), only
    blocks wholly inside it count; None when no block is."""
    resized = output.resized(reference.width, reference.height)
    delta = _blocks(rgb_to_lab(resized.rgb_on_backdrop())).mean(axis=(1, 3)) - _blocks(
        rgb_to_lab(reference.rgb_on_backdrop())
    ).mean(axis=(1, 3))
    distances = np.sqrt((delta**2).sum(axis=-1))
    if keep is not None:
        distances = distances[_blocks(keep).all(axis=(1, 3))]
        if distances.size == 0:
            return None
    return float(distances.mean())


def judge(gate: ColorGate, evidence: Evidence) -> GateResult:
    scored = [(r, r.candidate.delta_e) for r in evidence.results if r.candidate.delta_e is not None]
    stable = [r.stable.delta_e for r in evidence.results if r.stable.delta_e is not None]
    stable_note = f" (stable {fmt(float(np.mean(stable)))})" if stable else ""
    verdicts: list[GateVerdict] = []
    if gate.max_delta_e is not None:
        threshold = f"mean delta E <= {fmt(gate.max_delta_e)}"
        if not scored:
            verdicts.append(no_data("color", threshold, "color: no candidate image decoded"))
        else:
            mean = float(np.mean([v for _, v in scored]))
            verdicts.append(
                compare(
                    "color",
                    mean,
                    "<=",
                    gate.max_delta_e,
                    threshold=threshold,
                    measured=f"color: mean delta E {fmt(mean)}{stable_note}",
                    bound=f"maxDeltaE {fmt(gate.max_delta_e)}",
                )
            )
    if gate.max_noise_multiple is not None:
        verdicts.append(
            judge_multiple(
                "color.noiseFloor",
                "delta_e",
                gate.max_noise_multiple,
                scored,
                evidence,
                label="mean delta E",
            )
        )
    scores = {"deltaEMean": round(float(np.mean([v for _, v in scored])), 3)} if scored else {}
    return GateResult(verdicts, scores)
