"""Edge detail (catalog F5): variance of the Laplacian, relative to the reference's."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..images import DecodedImage

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
