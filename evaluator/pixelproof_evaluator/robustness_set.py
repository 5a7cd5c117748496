"""`pixelproof golden robustness`: derive a class of deliberately awkward inputs from a few
image-to-image items, the inputs users really send: JPEG-artefacted, grayscale, palette,
CMYK, 16-bit, EXIF-rotated, with alpha, tiny and very large.

Each variant is a new item beside its source (id `<source>--<variant>`, tags `robustness` and
`robustness-<variant>`) with its input (and, for inpaint items, its mask) written next to the
manifest and pinned by sha256. References are then captured from the stable model as for any
item (`pixelproof golden capture --only-missing`), so the robustness gate compares candidate
with stable on exactly these inputs."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .golden import (
    MIN_SIDE,
    GoldenItemSpec,
    GoldenSetError,
    find_manifest,
    load_item,
    read_manifest,
    sha256_hex,
    write_manifest,
)

TAG = "robustness"
JPEG_QUALITY = 12
EXIF_ORIENTATION = 0x0112
# Orientation 6: the viewer rotates the stored pixels 90 degrees clockwise.
ROTATE_CW = 6
DEFAULT_LARGE_SIDE = 2048


@dataclass(frozen=True)
class Variant:
    extension: str
    alpha: bool
    encode: Callable[[Image.Image], bytes]
    resize_to: Callable[[Image.Image, int], tuple[int, int]] | None = None


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _sixteen_bit(image: Image.Image) -> bytes:
    grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
    return _save(Image.fromarray(grey), "PNG")


def _exif_rotated(image: Image.Image) -> bytes:
    """Pixels stored turned a quarter left, with the EXIF tag that turns them back."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATE_CW
    stored = image.convert("RGB").transpose(Image.Transpose.ROTATE_90)
    return _save(stored, "JPEG", quality=95, exif=exif.tobytes())


def _with_alpha(image: Image.Image) -> bytes:
    rgba = np.asarray(image.convert("RGBA")).copy()
    height, width = rgba.shape[:2]
    border = max(1, min(width, height) // 8)
    rgba[:border, :, 3] = 0
    rgba[-border:, :, 3] = 0
    rgba[:, :border, 3] = 0
    rgba[:, -border:, 3] = 0
    return _save(Image.fromarray(rgba, "RGBA"), "PNG")


def _scaled(image: Image.Image, longest: int) -> tuple[int, int]:
    factor = longest / max(image.size)
    return max(MIN_SIDE, round(image.width * factor)), max(MIN_SIDE, round(image.height * factor))


VARIANTS: dict[str, Variant] = {
    "jpeg": Variant("jpg", False, lambda i: _save(i.convert("RGB"), "JPEG", quality=JPEG_QUALITY)),
    "grayscale": Variant("png", False, lambda i: _save(i.convert("L"), "PNG")),
    "palette": Variant("png", False, lambda i: _save(i.convert("RGB").quantize(colors=64), "PNG")),
    "cmyk": Variant("jpg", False, lambda i: _save(i.convert("CMYK"), "JPEG", quality=95)),
    "16bit": Variant("png", False, _sixteen_bit),
    "exif-rotated": Variant("jpg", False, _exif_rotated),
    "alpha": Variant("png", True, _with_alpha),
    "tiny": Variant(
        "png", False, lambda i: _save(i.convert("RGB"), "PNG"), lambda i, _: _scaled(i, MIN_SIDE)
    ),
    "large": Variant(
        "png", False, lambda i: _save(i.convert("RGB"), "PNG"), lambda i, side: _scaled(i, side)
    ),
}


def _variant_spec(root: Path, source: GoldenItemSpec, name: str, large_side: int) -> GoldenItemSpec:
    item = load_item(root, source, require_reference=False)
    if item.input is None:
        raise GoldenSetError(
            f"golden item {source.id!r} has no input image; robustness variants derive from "
            "edit, inpaint and upscale items"
        )
    variant = VARIANTS[name]
    image = Image.fromarray(item.input.image.rgba, "RGBA")
    if not variant.alpha:
        image = image.convert("RGB")
    mask = item.input.mask
    if variant.resize_to is not None:
        size = variant.resize_to(image, large_side)
        image = image.resize(size, Image.Resampling.LANCZOS)
        if mask is not None:
            mask = (
                np.asarray(
                    Image.fromarray(mask.astype(np.uint8) * 255, "L").resize(
                        size, Image.Resampling.NEAREST
                    )
                )
                >= 128
            )
    item_id = f"{source.id}--{name}"
    data = variant.encode(image)
    input_name = f"{item_id}.input.{variant.extension}"
    (root / input_name).write_bytes(data)
    update: dict[str, object] = {
        "id": item_id,
        "input": input_name,
        "input_sha256": sha256_hex(data),
        "size": None,
        "alpha": variant.alpha,
        "reference": None,
        "sha256": None,
        "tags": [*source.tags, TAG, f"{TAG}-{name}"],
    }
    if mask is not None:
        mask_data = _save(Image.fromarray(mask.astype(np.uint8) * 255, "L"), "PNG")
        mask_name = f"{item_id}.mask.png"
        (root / mask_name).write_bytes(mask_data)
        update.update({"mask": mask_name, "mask_sha256": sha256_hex(mask_data)})
    return source.model_copy(update=update)


def add_robustness_items(
    golden: Path,
    sources: Sequence[str],
    variants: Sequence[str] = tuple(VARIANTS),
    *,
    large_side: int = DEFAULT_LARGE_SIDE,
) -> list[str]:
    """Adds (or replaces) the variants of the source items; returns the new item ids."""
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise GoldenSetError(
            f"unknown robustness variant {', '.join(unknown)}; known: {', '.join(VARIANTS)}"
        )
    manifest_path = find_manifest(golden)
    manifest = read_manifest(manifest_path)
    root = manifest_path.parent
    by_id = {spec.id: spec for spec in manifest.items}
    missing = [s for s in sources if s not in by_id]
    if missing:
        raise GoldenSetError(f"golden set {root} has no item {', '.join(map(repr, missing))}")
    derived = [
        _variant_spec(root, by_id[s], name, large_side) for s in sources for name in variants
    ]
    new_ids = {spec.id for spec in derived}
    kept = [spec for spec in manifest.items if spec.id not in new_ids]
    write_manifest(manifest_path, [*kept, *derived], manifest.version)
    return [spec.id for spec in derived]


def add_robustness_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--golden", type=Path, required=True, help="golden set folder or manifest file"
    )
    parser.add_argument(
        "--from", dest="sources", required=True, help="ids of the items to derive from (a,b)"
    )
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"which of {', '.join(VARIANTS)}"
    )
    parser.add_argument(
        "--large-side", type=int, default=DEFAULT_LARGE_SIDE, help="longest side of 'large'"
    )


def run_robustness(args: argparse.Namespace) -> int:
    split = [
        [p.strip() for p in text.split(",") if p.strip()] for text in (args.sources, args.variants)
    ]
    try:
        ids = add_robustness_items(args.golden, split[0], split[1], large_side=args.large_side)
    except GoldenSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"added {len(ids)} robustness items; capture their references with "
        "`pixelproof golden capture --only-missing`"
    )
    return 0
