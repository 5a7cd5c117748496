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


def antialias(image: Image.Image, share: float) -> Image.Image:
    return Image.blend(image, image.filter(ImageFilter.BoxBlur(1)), share)


def brighten(image: Image.Image, fraction: float) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32).copy()
    pixels[..., :3] = np.clip(np.rint(pixels[..., :3] * (1.0 + fraction)), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8), image.mode)


def shift(image: Image.Image, pixels: float) -> Image.Image:
    """Moved right and down by a fraction of a pixel; the edges repeat the border."""
    matrix = (1.0, 0.0, -pixels, 0.0, 1.0, -pixels)
    padded = Image.fromarray(np.pad(np.asarray(image), ((2, 2), (2, 2), (0, 0)), mode="edge"))
    moved = padded.transform(padded.size, Image.Transform.AFFINE, matrix, Image.Resampling.BICUBIC)
    return moved.crop((2, 2, 2 + image.width, 2 + image.height))


def drift(image: Image.Image, amount: float, seed: int) -> Image.Image:
    """One call's harmless variation: a shift, an antialiasing share and a brightness change,
    each drawn up to its share of `amount`."""
    rng = np.random.default_rng(seed)
    moved, smoothed, brighter = rng.uniform(0.0, 1.0, size=3)
    image = antialias(image, float(smoothed) * amount)
    image = brighten(image, float(2.0 * brighter - 1.0) * 0.02 * amount)
    return shift(image, float(moved) * amount)


MARKER_COLOR = (255, 0, 0)


def draw_marker(image: Image.Image) -> Image.Image:
    """A pure red square over the top-left corner, a quarter of the shorter side."""
    side = max(1, min(image.size) // 4)
    marked = image.copy()
    marked.paste(MARKER_COLOR + ((255,) if image.mode == "RGBA" else ()), (0, 0, side, side))
    return marked


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
