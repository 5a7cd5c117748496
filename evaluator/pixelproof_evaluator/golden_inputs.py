"""Inputs of image-to-image golden items (edit, inpaint, upscale): the input image and the
inpainting mask, pinned by sha256 beside the manifest and decoded with Pillow.

Inputs are deliberately any common format and mode (JPEG, palette, CMYK, 16-bit, EXIF-rotated),
because that is what users send. The bytes go to the models unchanged; the checks compare
outputs with the input as a viewer shows it, i.e. after its EXIF orientation."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from .golden_files import GoldenSetError, read_pinned
from .images import DECODE_ERRORS, DecodedImage, ImageDecodeError, alpha_of, describe_bytes

if TYPE_CHECKING:
    from .golden_manifest import GoldenItemSpec

INPUT_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF")
MAX_INPUT_PIXELS = 4096 * 4096
_WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


@dataclass(frozen=True)
class ItemInput:
    image_bytes: bytes
    image: DecodedImage
    """The input as a viewer shows it: EXIF orientation applied, as RGBA."""
    format: str
    mask_bytes: bytes | None = None
    mask: NDArray[np.bool_] | None = None
    """True where the model is asked to repaint."""

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def _rgba(image: Image.Image) -> NDArray[np.uint8]:
    if image.mode in _WIDE_GREY:
        # Pillow clips wide greys to 8 bits instead of scaling them.
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or wide.max() > 255 else 255.0
        grey = np.clip(wide / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        opaque = np.full_like(grey, 255)
        return np.stack([grey, grey, grey, opaque], axis=-1)
    return np.asarray(image.convert("RGBA"), dtype=np.uint8)


def decode_image(data: bytes, what: str) -> tuple[DecodedImage, str]:
    """Any common image format, oriented as its EXIF says; refuses what is not an image and
    what is too large to decode safely."""
    if not data:
        raise ImageDecodeError(f"{what} is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in INPUT_FORMATS:
                raise ImageDecodeError(
                    f"{what} is {image.format}, not one of {', '.join(INPUT_FORMATS)}"
                )
            if image.width * image.height > MAX_INPUT_PIXELS:
                raise ImageDecodeError(
                    f"{what} is {image.width}x{image.height}, over the limit of "
                    f"{MAX_INPUT_PIXELS} pixels"
                )
            image.load()
            oriented = ImageOps.exif_transpose(image) or image
    except DECODE_ERRORS as exc:
        raise ImageDecodeError(
            f"{what} is not a decodable image ({describe_bytes(data)}): {exc}"
        ) from exc
    return DecodedImage(_rgba(oriented), image.mode, alpha_of(image)), str(image.format)


def load_input(image_bytes: bytes, mask_bytes: bytes | None) -> ItemInput:
    image, fmt = decode_image(image_bytes, "input")
    if mask_bytes is None:
        return ItemInput(image_bytes, image, fmt)
    decoded, _ = decode_image(mask_bytes, "mask")
    if (decoded.width, decoded.height) != (image.width, image.height):
        raise ImageDecodeError(
            f"mask is {decoded.width}x{decoded.height}, the input is {image.width}x{image.height}"
        )
    mask = decoded.rgb_on_backdrop().mean(axis=-1) >= 0.5
    if not mask.any() or mask.all():
        what = "nothing" if not mask.any() else "everything"
        raise ImageDecodeError(f"mask marks {what} for repainting; it needs both regions")
    return ItemInput(image_bytes, image, fmt, mask_bytes, mask)


def expected_size(item_input: ItemInput, scale: int) -> tuple[int, int]:
    """Edit and inpaint keep the input's size; upscale multiplies it."""
    return item_input.width * scale, item_input.height * scale


def input_of(root: Path, spec: GoldenItemSpec) -> ItemInput | None:
    if spec.input is None:
        return None
    image = read_pinned(root, spec.id, "input", spec.input, spec.input_sha256)
    mask = (
        read_pinned(root, spec.id, "mask", spec.mask, spec.mask_sha256)
        if spec.mask is not None
        else None
    )
    try:
        return load_input(image, mask)
    except ImageDecodeError as exc:
        raise GoldenSetError(f"golden item {spec.id!r}: {exc}") from exc
