"""An image-to-image golden set the img2img tests share: upscale, inpaint and edit items whose
inputs the reference generator renders (as the demo's do), a robustness class derived from
them by `pixelproof golden robustness`, and gate thresholds tuned to these fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixelproof_demo.image_golden import centred_mask, input_image, item_spec, png
from pixelproof_evaluator.golden import sha256_hex, write_manifest
from pixelproof_evaluator.robustness_set import add_robustness_items

# (id, task, width, height, seed); inpaint items repaint a centred rectangle.
ITEMS: list[tuple[str, str, int, int, int]] = [
    ("up-wide", "upscale", 96, 64, 31),
    ("up-square", "upscale", 64, 64, 32),
    ("inpaint-wide", "inpaint", 96, 64, 33),
    ("inpaint-tall", "inpaint", 64, 96, 34),
    ("edit-square", "edit", 64, 64, 35),
]
UPSCALE_VARIANTS = (
    "jpeg",
    "grayscale",
    "palette",
    "cmyk",
    "16bit",
    "exif-rotated",
    "alpha",
    "tiny",
)
INPAINT_VARIANTS = ("grayscale", "exif-rotated")
LARGE_SIDE = 160

# Thresholds tuned to these fixtures and the offline LPIPS backbone.
GATES: dict[str, Any] = {
    "lpips": {"maxMean": 0.05},
    "format": {"alpha": True, "size": True},
    "determinism": {"maxReplayDistance": 0.02},
    "outputSize": {},
    "preservation": {"maxMeanError": 8.0},
    "inputColor": {"maxDeltaE": 3.0},
    "robustness": {"maxLpipsExcess": 0.1},
    "versusStable": {"maxRegression": 0.005, "minItems": 6},
}


def write_file(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return sha256_hex(data)


def write_img2img_golden(folder: Path, *, robustness: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "golden.yaml"
    write_manifest(path, [item_spec(folder, *item) for item in ITEMS])
    if robustness:
        add_robustness_items(folder, ["up-wide"], UPSCALE_VARIANTS)
        add_robustness_items(folder, ["inpaint-wide"], INPAINT_VARIANTS)
        add_robustness_items(folder, ["up-square"], ["large"], large_side=LARGE_SIDE)
    return path


__all__ = ["GATES", "centred_mask", "input_image", "png", "write_file", "write_img2img_golden"]
