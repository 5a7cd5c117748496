"""PNG decoding that refuses what a generator must never return: non-PNG bytes (an HTML
error page labelled image/png), truncated files, and images too large to decode safely."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .errors import EvaluatorError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A neutral backdrop for comparing colour: a dropped alpha channel then shows up as a shift.
BACKDROP = np.array([128.0, 128.0, 128.0], dtype=np.float32)


# What Pillow raises on bytes it cannot decode, or on a decompression bomb.
DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


class ImageDecodeError(EvaluatorError):
    """Bytes that are not a decodable PNG; the message says what they looked like instead."""


@dataclass(frozen=True)
class DecodedImage:
    rgba: NDArray[np.uint8]
    mode: str
    has_alpha: bool

    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])

    @property
    def alpha_used(self) -> bool:
        """An alpha channel that is all opaque carries no transparency: the generator dropped it."""
        return self.has_alpha and bool((self.rgba[..., 3] < 255).any())

    def rgb_on_backdrop(self) -> NDArray[np.float32]:
        """RGB in [0, 1] with transparency composited over a mid-grey backdrop. Computed once
        an image, since an item's checks ask for it a dozen times; read-only, as it is
        shared."""
        cached: NDArray[np.float32] | None = self.__dict__.get(_RGB_CACHE)
        if cached is None:
            cached = _composite(self.rgba)
            cached.flags.writeable = False
            # A frozen dataclass forbids attribute writes, not a cache in its own __dict__.
            self.__dict__[_RGB_CACHE] = cached
        return cached

    def __getstate__(self) -> dict[str, object]:
        # The cache is 3x the pixels' size and cheap to recompute: it does not cross to a
        # check worker.
        return {k: v for k, v in self.__dict__.items() if k != _RGB_CACHE}

    def resized(self, width: int, height: int) -> DecodedImage:
        if (width, height) == (self.width, self.height):
            return self
        image = Image.fromarray(self.rgba, "RGBA").resize(
            (width, height), Image.Resampling.BILINEAR
        )
        return DecodedImage(np.asarray(image, dtype=np.uint8), self.mode, self.has_alpha)


_RGB_CACHE = "_rgb_on_backdrop"


def _composite(rgba: NDArray[np.uint8]) -> NDArray[np.float32]:
    rgb = rgba[..., :3].astype(np.float32)
    if bool((rgba[..., 3] == 255).all()):
        # Most outputs are opaque; over the backdrop at alpha 1 they are themselves, bit for bit.
        rgb /= 255.0
        return rgb
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    return ((rgb * alpha + BACKDROP * (1.0 - alpha)) / 255.0).astype(np.float32)


def describe_bytes(data: bytes) -> str:
    """A short, safe description of what some bytes start with, for error messages."""
    head = data[:64]
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page"
    if stripped.startswith((b"{", b"[")):
        return "JSON"
    if head.startswith(b"\xff\xd8\xff"):
        return "a JPEG"
    if not data:
        return "an empty body"
    return f"bytes starting {head[:16]!r}"


def decode_png(data: bytes, *, max_pixels: int) -> DecodedImage:
    if not data.startswith(PNG_SIGNATURE):
        raise ImageDecodeError(f"not a PNG (no PNG signature): {describe_bytes(data)}")
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageDecodeError("invalid PNG: the first chunk is not IHDR")
    # The header states the size: refuse a decompression bomb before inflating any of it.
    width, height = struct.unpack(">II", data[16:24])
    if width * height > max_pixels:
        raise ImageDecodeError(
            f"image is {width}x{height} ({width * height} pixels), over the limit of "
            f"{max_pixels} pixels"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except DECODE_ERRORS as exc:
        raise ImageDecodeError(f"invalid PNG: {exc}") from exc
    return DecodedImage(
        np.asarray(image.convert("RGBA"), dtype=np.uint8), image.mode, alpha_of(image)
    )


def alpha_of(image: Image.Image) -> bool:
    """Whether the image carries transparency: an alpha channel or a transparent colour."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "RGB", "L") and "transparency" in image.info
    )


def encode_png(rgba: NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if rgba.ndim == 3 and rgba.shape[2] == 4 else "RGB"
    Image.fromarray(rgba, mode).save(buffer, format="PNG")
    return buffer.getvalue()
