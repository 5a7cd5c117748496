"""The demo's image-to-image golden sets: upscale or inpaint items whose inputs the reference
generator renders (street scenes with a sign), inpaint masks over the middle of each input,
and a grayscale and an EXIF-rotated variant of one item as a small robustness class;
references captured from the stable generator."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pixelproof.api.workloads import GeneratorContract, GeneratorInputs

# (id, width, height, seed) of each input.
INPUTS: tuple[tuple[str, int, int, int], ...] = (
    ("street", 96, 64, 41),
    ("square", 64, 64, 42),
    ("portrait", 64, 96, 43),
    ("banner", 128, 48, 44),
)
ROBUSTNESS_VARIANTS = ("grayscale", "exif-rotated")
UPSCALE_SCALE = 2
# Upscale requests go as base64 JSON, inpaint ones as multipart: the demo shows both.
ENCODINGS = {"upscale": "base64", "inpaint": "multipart"}


def contract_inputs(task: str) -> dict[str, Any]:
    """The `spec.generator.inputs` of a rollout of this task."""
    return {"encoding": ENCODINGS[task]}


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def input_image(width: int, height: int, seed: int) -> Image.Image:
    from pixelproof_refgen import render
    from pixelproof_refgen.request import GenerateRequest

    prompt = f'a street scene with a sign "OPEN {seed}"'
    return render(GenerateRequest(prompt, seed, width, height)).image.convert("RGB")


def centred_mask(width: int, height: int) -> Image.Image:
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = 255
    return Image.fromarray(mask, "L")


def item_spec(folder: Path, item_id: str, task: str, width: int, height: int, seed: int) -> Any:
    """An item of `task` whose rendered input (and, for inpaint, centred mask) is written
    into `folder` and pinned by sha256."""
    from pixelproof_evaluator.golden import GoldenItemSpec, sha256_hex

    data = png(input_image(width, height, seed))
    (folder / f"{item_id}.input.png").write_bytes(data)
    fields: dict[str, Any] = {
        "id": item_id,
        "prompt": f"{task} a street scene",
        "seed": seed,
        "task": task,
        "tags": [task],
        "input": f"{item_id}.input.png",
        "input_sha256": sha256_hex(data),
    }
    if task == "upscale":
        fields["params"] = {"scale": UPSCALE_SCALE}
    if task == "inpaint":
        mask = png(centred_mask(width, height))
        (folder / f"{item_id}.mask.png").write_bytes(mask)
        fields.update({"mask": f"{item_id}.mask.png", "mask_sha256": sha256_hex(mask)})
    return GoldenItemSpec(**fields)


def write_image_golden_set(folder: Path, stable_url: str, task: str) -> Path:
    """Write the manifest of `task` items into `folder`, derive the robustness variants and
    capture every reference from the stable model."""
    from pixelproof_evaluator.capture import capture
    from pixelproof_evaluator.golden import write_manifest
    from pixelproof_evaluator.robustness_set import add_robustness_items

    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "golden.yaml"
    specs = [item_spec(folder, f"{task}-{name}", task, *size) for name, *size in INPUTS]
    write_manifest(manifest, specs)
    add_robustness_items(folder, [f"{task}-{INPUTS[0][0]}"], ROBUSTNESS_VARIANTS)
    contract = GeneratorContract(
        timeout_seconds=30, inputs=GeneratorInputs.model_validate(contract_inputs(task))
    )
    result = capture(folder, stable_url, contract)
    if result.failed:
        problems = "; ".join(f"{k}: {v}" for k, v in sorted(result.failed.items()))
        raise RuntimeError(f"capturing the golden set from the stable generator failed: {problems}")
    return manifest
