"""Robustness on awkward inputs: on the items of the gate's tag (JPEG-artefacted, grayscale,
palette, CMYK, 16-bit, EXIF-rotated, with and without alpha, tiny, very large), a candidate
that fails where stable copes, or lands much further from the reference than stable does on
the same item, fails the gate with the input named."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.input_gates import RobustnessGate

from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence


def _input_name(result: ItemResult) -> str:
    spec = result.item.spec
    return f"{spec.id} ({spec.input})" if spec.input else spec.id


def _crashes(tagged: list[ItemResult]) -> GateVerdict:
    threshold = "no failure where stable copes"
    coped = [r for r in tagged if r.stable.usable]
    if not coped:
        return no_data(
            "robustness.failures", threshold, "robustness.failures: stable served none of the items"
        )
    broke = [r for r in coped if not r.candidate.usable]
    example = (
        f" (e.g. {_input_name(broke[0])}: {broke[0].candidate.failure_detail()})" if broke else ""
    )
    return compare(
        "robustness.failures",
        float(len(broke)),
        "<=",
        0.0,
        threshold=threshold,
        measured=f"robustness.failures: candidate failed {len(broke)} of {len(coped)} awkward "
        f"inputs stable served{example}",
        bound="0",
    )


def _mangles(gate: RobustnessGate, tagged: list[ItemResult]) -> GateVerdict:
    threshold = f"lpips above stable's <= {fmt(gate.max_lpips_excess)} per item"
    paired = [
        (r, c - s)
        for r in tagged
        if (c := r.candidate.lpips) is not None and (s := r.stable.lpips) is not None
    ]
    if not paired:
        return no_data(
            "robustness.quality", threshold, "robustness.quality: no item scored for both models"
        )
    worst, excess = max(paired, key=lambda pair: pair[1])
    return compare(
        "robustness.quality",
        excess,
        "<=",
        gate.max_lpips_excess,
        threshold=threshold,
        measured=f"robustness.quality: worst {_input_name(worst)} lpips {fmt(excess)} above stable's",
        bound=f"maxLpipsExcess {fmt(gate.max_lpips_excess)} over {len(paired)} items",
    )


def judge(gate: RobustnessGate, evidence: Evidence) -> GateResult:
    tagged = [r for r in evidence.results if gate.tag in r.item.spec.tags]
    if not tagged:
        reason = f"robustness: no golden item carries the tag {gate.tag!r}"
        return GateResult([no_data("robustness", f"items tagged {gate.tag}", reason)])
    return GateResult([_crashes(tagged), _mangles(gate, tagged)])
