"""Colour fidelity to the input where the task keeps colour: an upscaler keeps the whole
image's colours, an inpainting model those outside the mask. CIELAB delta E of block mean
colours against the input (reusing the colour gate's measure), held to a maximum or to a
multiple of the calibrated noise floor; a colour-space mix-up moves every block."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.input_gates import InputColorGate

from ..images import DecodedImage
from .color import mean_delta_e
from .gate import GateResult, compare, fmt, no_data
from .noise_floor import judge_multiple

if TYPE_CHECKING:
    from ..golden_inputs import ItemInput
    from .evidence import Evidence

COLOR_KEEPING_TASKS = ("upscale", "inpaint")


def input_delta_e(output: DecodedImage, task: str, item_input: ItemInput) -> float | None:
    """Delta E from the input over the region the task keeps; None for tasks that recolour."""
    if task not in COLOR_KEEPING_TASKS:
        return None
    keep = None if item_input.mask is None else ~item_input.mask
    return mean_delta_e(output, item_input.image, keep)


def judge(gate: InputColorGate, evidence: Evidence) -> GateResult:
    scored = [
        (r, r.candidate.input_delta_e)
        for r in evidence.results
        if r.candidate.input_delta_e is not None
    ]
    verdicts: list[GateVerdict] = []
    if gate.max_delta_e is not None:
        threshold = f"mean delta E from the input <= {fmt(gate.max_delta_e)}"
        if not scored:
            verdicts.append(
                no_data(
                    "inputColor",
                    threshold,
                    "inputColor: no candidate image of an upscale or inpaint item decoded",
                )
            )
        else:
            mean = float(np.mean([v for _, v in scored]))
            worst, value = max(scored, key=lambda pair: pair[1])
            verdicts.append(
                compare(
                    "inputColor",
                    mean,
                    "<=",
                    gate.max_delta_e,
                    threshold=threshold,
                    measured=(
                        f"inputColor: mean delta E from the input {fmt(mean)} "
                        f"(worst {worst.item.id} {fmt(value)})"
                    ),
                    bound=f"maxDeltaE {fmt(gate.max_delta_e)} over {len(scored)} items",
                )
            )
    if gate.max_noise_multiple is not None:
        verdicts.append(
            judge_multiple(
                "inputColor.noiseFloor",
                "input_delta_e",
                gate.max_noise_multiple,
                scored,
                evidence,
                label="mean delta E from the input",
            )
        )
    scores = {"inputDeltaEMean": round(float(np.mean([v for _, v in scored])), 3)} if scored else {}
    return GateResult(verdicts, scores)
