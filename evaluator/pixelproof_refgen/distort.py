"""Image-level faults applied to a finished rendering (see faults.py for what each models)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Line-ending translation is the classic way a PNG signature gets broken in transit.
BROKEN_SIGNATURE = b"\x89PNG\n\x1a\n\x00"
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><h1>502 Bad Gateway</h1><p>upstream worker failed</p></body></html>\n"
)


def shift_color(image: Image.Image, strength: float) -> Image.Image:
    """Rotate hue by 90 * strength degrees and scale saturation by 1 + strength."""
    rgb = image.convert("RGB")
    hsv = np.asarray(rgb.convert("HSV"), dtype=np.int32).copy()
    hsv[..., 0] = (hsv[..., 0] + round(strength * 256 / 4)) % 256
    hsv[..., 1] = np.clip(np.rint(hsv[..., 1] * (1.0 + strength)), 0, 255)
    shifted = Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")
    if image.mode == "RGBA":
        shifted.putalpha(image.getchannel("A"))
    return shifted


def blur(image: Image.Image, radius: float) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def stretch(image: Image.Image, factor: float) -> Image.Image:
    width, height = image.size
    return image.resize((max(1, round(width * factor)), height), Image.Resampling.BICUBIC)


def add_noise(image: Image.Image, sigma: float, seed: int) -> Image.Image:
    """Gaussian noise on the colour channels only; alpha stays as rendered."""
    pixels = np.asarray(image, dtype=np.float32).copy()
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=(*pixels.shape[:2], 3))
    pixels[..., :3] = np.clip(np.rint(pixels[..., :3] + noise), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8), image.mode)


def drop_alpha(image: Image.Image) -> Image.Image:
    return image.convert("RGB") if image.mode == "RGBA" else image


def break_signature(png: bytes) -> bytes:
    return BROKEN_SIGNATURE + png[len(PNG_SIGNATURE) :]
