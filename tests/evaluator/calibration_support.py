"""Images of the reference generator scored the way the evaluator scores them, without HTTP
or LPIPS, so calibrated gates can be judged across many seeds cheaply."""

from __future__ import annotations

from typing import Any

from pixelproof_evaluator.checks.color import mean_delta_e
from pixelproof_evaluator.checks.sharpness import sharpness_ratio
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.images import DecodedImage, decode_png
from pixelproof_evaluator.results import ItemResult, ModelResult
from pixelproof_refgen import Faults, render
from pixelproof_refgen.faults import Decisions
from pixelproof_refgen.request import GenerateRequest

SIDE = 96
ITEMS = 5
# The stable model varies a little from call to call, as a real one does across GPUs.
STABLE_DRIFT = 0.5


def _image(item: GoldenItem, faults: Faults, noise_seed: int) -> tuple[bytes, DecodedImage]:
    request = GenerateRequest(item.spec.prompt, item.spec.seed, SIDE, SIDE, False)
    png = render(request, faults, Decisions(noise_seed=noise_seed)).png()
    return png, decode_png(png, max_pixels=SIDE * SIDE * 4)


def golden_items(seed: int) -> list[GoldenItem]:
    """A small set whose references the drifting stable model drew."""
    items = []
    for index in range(ITEMS):
        spec = GoldenItemSpec(
            id=f"s{seed}-{index}",
            prompt=f"a scene {index}",
            seed=seed * 100 + index,
            size=f"{SIDE}x{SIDE}",
        )
        bare = GoldenItem(spec, SIDE, SIDE, b"")
        png, _ = _image(bare, Faults(drift=STABLE_DRIFT), noise_seed=seed * 7 + index)
        items.append(GoldenItem(spec, SIDE, SIDE, png))
    return items


def scored(item: GoldenItem, faults: Faults, noise_seed: int) -> ModelResult:
    _, image = _image(item, faults, noise_seed)
    reference = decode_png(item.reference_png, max_pixels=SIDE * SIDE * 4)
    return ModelResult(
        GenerationResult(b"png", 100.0, 1, status=200),
        delta_e=mean_delta_e(image, reference),
        sharpness=sharpness_ratio(image, reference),
    )


def results(items: list[GoldenItem], candidate: dict[str, Any], run: int) -> list[ItemResult]:
    stable_faults = Faults(drift=STABLE_DRIFT)
    return [
        ItemResult(
            item,
            scored(item, stable_faults, 1000 + run * 31 + i),
            scored(item, Faults(**candidate), 5000 + run * 31 + i),
        )
        for i, item in enumerate(items)
    ]
