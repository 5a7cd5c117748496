"""Shared helpers of the reference generator tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

POSTER = 'a poster for a lemonade stand that says "Fresh Lemonade" in big letters'


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float32)
