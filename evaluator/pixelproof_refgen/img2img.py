"""Image-to-image serving: ``POST /edit``, ``/inpaint`` and ``/upscale`` (image_request.py
describes the body) answer a PNG derived from the input image, deterministically.

- upscale: the input resized by ``scale`` (Lanczos).
- edit: the input with a translucent shape whose colour and place come from prompt and seed.
- inpaint: inside the mask (white), the scene the prompt and seed would generate; outside it,
  the input unchanged.

Inputs are read as a viewer shows them (EXIF orientation applied); 16-bit greys are scaled to
8 bits; an input with alpha gives an output with alpha. The generation image faults (drift,
replay noise, brightness, ...) then apply as for ``/generate``.

Image-to-image fault knobs (faults.py holds them with the others):

- ``wrong_scale`` (factor, 0 off): upscale by this factor instead of the requested scale.
- ``mask_bleed`` (0..1, 0 off): the repaint also covers the region outside the mask at this
  opacity, so inpainting changes what it must keep.
- ``colorspace_drift`` (bool): input pixels are taken as linear light and encoded to sRGB
  again, the classic colour-space mix-up that lifts every midtone.
- ``ignore_exif`` (bool): the input is used as stored, its EXIF orientation ignored.
- ``drop_alpha`` (bool): the output is RGB even when the input has alpha.
- ``fail_unusual_modes`` (bool): inputs that are not plain RGB or RGBA (grayscale, palette,
  CMYK, 16-bit) are answered ``500``.
- ``max_input_pixels`` (pixels, 0 off): an input above this many pixels exhausts the worker's
  memory: the connection closes without a response.
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageOps

from .faults import Decisions, Faults
from .image_request import ImageRequest
from .render import finish, scene_rng
from .request import BadRequest
from .scene import background

PLAIN_MODES = ("RGB", "RGBA")
_WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
EDIT_OPACITY = 0.45


class UnusualInput(Exception):
    """An input the faulty worker cannot handle; answered 500."""


class InputExhaustsMemory(Exception):
    """An input large enough to take the worker down; the connection just closes."""


def open_image(data: bytes, field: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise BadRequest(field, f"{field} is not a decodable image: {error}") from None
    return image


def _plain(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the input carries transparency."""
    if image.mode in _WIDE_GREY:
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or wide.max() > 255 else 255.0
        grey = np.clip(wide / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def read_input(request: ImageRequest, faults: Faults) -> Image.Image:
    image = open_image(request.image, "image")
    if faults.max_input_pixels and image.width * image.height > faults.max_input_pixels:
        raise InputExhaustsMemory(f"{image.width}x{image.height} input")
    if faults.fail_unusual_modes and image.mode not in PLAIN_MODES:
        raise UnusualInput(f"cannot process input mode {image.mode}")
    if not faults.ignore_exif:
        image = ImageOps.exif_transpose(image) or image
    plain = _plain(image)
    if faults.colorspace_drift:
        pixels = np.asarray(plain, dtype=np.float64).copy()
        pixels[..., :3] = 255.0 * (pixels[..., :3] / 255.0) ** (1 / 2.2)
        plain = Image.fromarray(np.rint(pixels).astype(np.uint8), plain.mode)
    return plain


def _mask(request: ImageRequest, size: tuple[int, int]) -> NDArray[np.bool_]:
    if request.mask is None:
        raise BadRequest("mask", "mask is required for inpaint")
    opened = open_image(request.mask, "mask")
    mask = ImageOps.exif_transpose(opened) or opened
    if mask.size != size:
        raise BadRequest(
            "mask", f"mask is {mask.size[0]}x{mask.size[1]}, the image {size[0]}x{size[1]}"
        )
    return np.asarray(mask.convert("L")) >= 128


def _edit(image: Image.Image, request: ImageRequest) -> Image.Image:
    rng = scene_rng(request.prompt, request.seed)
    width, height = image.size
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    left, top = rng.uniform(0, 0.5) * width, rng.uniform(0, 0.5) * height
    colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
    ImageDraw.Draw(overlay).ellipse(
        (left, top, left + width / 2, top + height / 2),
        fill=(*colour, round(255 * EDIT_OPACITY)),
    )
    edited = Image.alpha_composite(image.convert("RGBA"), overlay)
    return edited if image.mode == "RGBA" else edited.convert("RGB")


def _inpaint(image: Image.Image, request: ImageRequest, faults: Faults) -> Image.Image:
    mask = _mask(request, image.size)
    rng = scene_rng(request.prompt, request.seed)
    repaint = np.asarray(background(rng, *image.size, False).convert(image.mode), np.float64)
    source = np.asarray(image, dtype=np.float64)
    outside = source * (1.0 - faults.mask_bleed) + repaint * faults.mask_bleed
    pixels = np.where(mask[..., None], repaint, outside)
    return Image.fromarray(np.rint(pixels).astype(np.uint8), image.mode)


def _upscale(image: Image.Image, request: ImageRequest, faults: Faults) -> Image.Image:
    scale = faults.wrong_scale or float(request.scale)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def transform(request: ImageRequest, faults: Faults, decisions: Decisions) -> Image.Image:
    image = read_input(request, faults)
    if request.task == "upscale":
        result = _upscale(image, request, faults)
    elif request.task == "inpaint":
        result = _inpaint(image, request, faults)
    else:
        result = _edit(image, request)
    return finish(result, faults, decisions)
