"""The colour gate's CIELAB conversion against published sRGB (D65) values, and a delta E
that moves with a colour cast and not with a shift inside its blocks."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from pixelproof_evaluator.checks.color import mean_delta_e, rgb_to_lab
from pixelproof_evaluator.images import DecodedImage

# sRGB (D65) colours and their CIELAB values, as colour-science and Bruce Lindbloom's
# calculator give them.
KNOWN = [
    ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
    ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
    ((1.0, 0.0, 0.0), (53.2408, 80.0925, 67.2032)),
    ((0.0, 1.0, 0.0), (87.7347, -86.1827, 83.1793)),
    ((0.0, 0.0, 1.0), (32.2970, 79.1875, -107.8602)),
    ((0.5, 0.5, 0.5), (53.3890, 0.0, 0.0)),
]


@pytest.mark.parametrize(("rgb", "lab"), KNOWN)
def test_srgb_converts_to_the_published_cielab(
    rgb: tuple[float, float, float], lab: tuple[float, float, float]
) -> None:
    converted = rgb_to_lab(np.array([[rgb]], dtype=np.float32))[0, 0]
    assert converted == pytest.approx(lab, abs=0.01)


def _opaque(rgb: NDArray[np.uint8]) -> DecodedImage:
    alpha = np.full((*rgb.shape[:2], 1), 255, dtype=np.uint8)
    return DecodedImage(np.concatenate([rgb, alpha], axis=-1), "RGB", False)


def test_delta_e_sees_a_cast_and_not_a_shift_inside_blocks() -> None:
    rng = np.random.default_rng(7)
    reference = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    blocks = reference.reshape(4, 16, 4, 16, 3)
    # Every block's pixels in another order: the same block means.
    shuffled = blocks[:, ::-1, :, ::-1].reshape(64, 64, 3)
    cast = np.clip(reference.astype(int) + np.array([12, 0, -12]), 0, 255).astype(np.uint8)
    assert mean_delta_e(_opaque(shuffled), _opaque(reference)) == pytest.approx(0.0, abs=1e-3)
    assert mean_delta_e(_opaque(cast), _opaque(reference)) > 3.0
