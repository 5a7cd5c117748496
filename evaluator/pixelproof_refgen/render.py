"""Deterministic rendering: the same prompt, seed, size and faults give byte-identical PNGs.

The scene (gradient, shapes, panel colours and placement) comes from a random sequence seeded
by a hash of the prompt and the seed; text is drawn as typography.py describes; image faults
then apply in a fixed order: colour shift, blur, antialiasing, brightness, sub-pixel shift,
drift, marker, replay noise, stretch, alpha drop.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass

from PIL import Image

from . import distort
from .faults import Decisions, Faults
from .fonts import HOUSE_FAMILY
from .request import GenerateRequest
from .scene import background
from .typography import TextBlock, TextFaults, draw_text

# Any fixed odd constant does: it only has to move a miscomposed prompt to another scene.
MISCOMPOSE_SEED_FLIP = 0x5EED5EED
# Level 1 keeps a 512x512 image around 10 ms to encode; the bytes are still deterministic.
PNG_COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class Rendering:
    image: Image.Image
    blocks: list[TextBlock]
    seed: int  # the seed actually used (differs from the request's under nondeterminism)

    def png(self) -> bytes:
        return encode_png(self.image)


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def scene_rng(prompt: str, seed: int) -> random.Random:
    return random.Random(hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest())


def render(
    request: GenerateRequest, faults: Faults | None = None, decisions: Decisions | None = None
) -> Rendering:
    faults = faults or Faults()
    decisions = decisions or Decisions()
    seed = request.seed ^ decisions.seed_perturbation
    if faults.miscompose and faults.miscompose in request.prompt:
        seed ^= MISCOMPOSE_SEED_FLIP
    rng = scene_rng(request.prompt, seed)
    image = background(rng, request.width, request.height, request.transparent)
    text_faults = TextFaults(
        garble_below=faults.garble_small_text,
        family=faults.font_fallback or HOUSE_FAMILY,
        off_template=faults.off_template,
    )
    blocks = draw_text(rng, image, request.prompt, seed, text_faults)
    if not request.transparent:
        image = image.convert("RGB")
    return Rendering(finish(image, faults, decisions), blocks, seed)


def finish(image: Image.Image, faults: Faults, decisions: Decisions) -> Image.Image:
    """The image faults, in their fixed order, on a finished picture."""
    if faults.color_shift > 0:
        image = distort.shift_color(image, faults.color_shift)
    if faults.blur > 0:
        image = distort.blur(image, faults.blur)
    if faults.antialias > 0:
        image = distort.antialias(image, faults.antialias)
    if faults.brightness != 0:
        image = distort.brighten(image, faults.brightness)
    if faults.subpixel_shift > 0:
        image = distort.shift(image, faults.subpixel_shift)
    if faults.drift > 0:
        image = distort.drift(image, faults.drift, decisions.noise_seed)
    if decisions.marker:
        image = distort.draw_marker(image)
    if faults.replay_noise > 0:
        image = distort.add_noise(image, faults.replay_noise, decisions.noise_seed)
    if faults.stretch != 1.0:
        image = distort.stretch(image, faults.stretch)
    if faults.drop_alpha:
        image = distort.drop_alpha(image)
    return image
