"""Output size of image-to-image items: edit and inpaint keep the input's size, upscale
multiplies it by params.scale, all after the input's EXIF orientation. A wrong scale factor,
or an input read without its orientation, gives an output of another size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.input_gates import OutputSizeGate

from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence


def _problem(result: ItemResult) -> str | None:
    size = result.candidate.size
    item_input = result.item.input
    if size is None or size.size_ok or item_input is None:
        return None
    spec = result.item.spec
    task = f"upscale x{spec.scale}" if spec.task == "upscale" else spec.task
    return (
        f"{task} of a {item_input.width}x{item_input.height} input gives "
        f"{size.expected_width}x{size.expected_height}, got {size.width}x{size.height}"
    )


def judge(gate: OutputSizeGate, evidence: Evidence) -> GateResult:
    threshold = f"share of outputs off size <= {fmt(gate.max_off_rate)}"
    checked = [
        r for r in evidence.usable() if r.item.input is not None and r.candidate.size is not None
    ]
    if not checked:
        return GateResult(
            [
                no_data(
                    "outputSize",
                    threshold,
                    "outputSize: no candidate image of an image-to-image item decoded",
                )
            ]
        )
    off = [(r.item.id, p) for r in checked if (p := _problem(r)) is not None]
    example = f" (e.g. {off[0][0]}: {off[0][1]})" if off else ""
    verdict: GateVerdict = compare(
        "outputSize",
        len(off) / len(checked),
        "<=",
        gate.max_off_rate,
        threshold=threshold,
        measured=f"outputSize: {len(off)} of {len(checked)} image-to-image outputs off size{example}",
        bound=f"maxOffRate {fmt(gate.max_off_rate)}",
    )
    return GateResult([verdict])
