"""Images for the HTML report: reference, stable and candidate thumbnails, and a heatmap of
where the candidate differs from the reference."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .images import DecodedImage

THUMBNAIL_SIDE = 256
# zlib level 3 encodes in about half the time of Pillow's default 6, for files about a fifth
# larger: an evaluation writes four images an item, and a person looks at few of them.
THUMBNAIL_COMPRESSION = 3
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _thumbnail(rgba: NDArray[np.uint8]) -> Image.Image:
    image = Image.fromarray(rgba, "RGBA")
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return image


def difference_heatmap(output: DecodedImage, reference: DecodedImage) -> NDArray[np.uint8]:
    """Per-pixel colour difference, black (same) through red to yellow (very different)."""
    resized = output.resized(reference.width, reference.height)
    diff = np.abs(resized.rgb_on_backdrop() - reference.rgb_on_backdrop()).mean(axis=-1)
    level = np.clip(diff * 3.0, 0.0, 1.0)
    heatmap = np.zeros((*level.shape, 4), dtype=np.uint8)
    heatmap[..., 0] = np.clip(level * 2.0, 0.0, 1.0) * 255.0 + 0.5
    heatmap[..., 1] = np.clip(level * 2.0 - 1.0, 0.0, 1.0) * 255.0 + 0.5
    heatmap[..., 3] = 255
    return heatmap


def write_item_images(
    folder: Path,
    item_id: str,
    reference: DecodedImage | None,
    stable: DecodedImage | None,
    candidate: DecodedImage | None,
) -> dict[str, str]:
    """Writes the item's thumbnails; returns their paths relative to the report folder. Without
    a reference (a live prompt) the heatmap shows where the candidate differs from stable."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = _UNSAFE.sub("_", item_id)
    images: dict[str, NDArray[np.uint8]] = {}
    if reference is not None:
        images["reference"] = reference.rgba
    if stable is not None:
        images["stable"] = stable.rgba
    against = reference if reference is not None else stable
    if candidate is not None:
        images["candidate"] = candidate.rgba
        if against is not None:
            images["heatmap"] = difference_heatmap(candidate, against)
    written = {}
    for role, rgba in images.items():
        name = f"{stem}.{role}.png"
        _thumbnail(rgba).save(folder / name, format="PNG", compress_level=THUMBNAIL_COMPRESSION)
        written[role] = f"{folder.name}/{name}"
    return written
