"""Candidate against stable on the same items (catalog F4, F10): per-item LPIPS deltas to the
reference, tested for a significant regression beyond maxRegression over all items and
within each tag."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import VersusStableGate

from ..stats.paired import compare_groups
from .gate import GateResult, fmt, no_data

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence

# A candidate output that never arrived is as far from the reference as LPIPS goes.
MISSING_OUTPUT_DISTANCE = 1.0
ALL_ITEMS = "all items"


def paired_deltas(evidence: Evidence) -> list[tuple[ItemResult, float]]:
    """Candidate minus stable LPIPS, for every item the stable model scored."""
    paired = []
    for r in evidence.results:
        if r.stable.lpips is None:
            continue
        candidate = r.candidate.lpips if r.candidate.lpips is not None else MISSING_OUTPUT_DISTANCE
        paired.append((r, candidate - r.stable.lpips))
    return paired


def _groups(paired: list[tuple[ItemResult, float]], min_items: int) -> dict[str, list[float]]:
    """All items, and each tag with enough items that is not already all of them."""
    groups: dict[str, list[float]] = {ALL_ITEMS: [d for _, d in paired]}
    by_tag: dict[str, list[float]] = defaultdict(list)
    for r, d in paired:
        for tag in r.item.spec.tags:
            by_tag[tag].append(d)
    for tag, values in by_tag.items():
        if len(values) >= min_items and len(values) < len(paired):
            groups[f"tag {tag}"] = values
    return groups


def judge(gate: VersusStableGate, evidence: Evidence) -> GateResult:
    paired = paired_deltas(evidence)
    threshold = f"regression <= {fmt(gate.max_regression)} (p < {fmt(gate.significance)})"
    if len(paired) < gate.min_items:
        return GateResult(
            [
                no_data(
                    "versusStable",
                    threshold,
                    f"versusStable: only {len(paired)} paired items, need minItems {gate.min_items}",
                )
            ]
        )
    comparison = compare_groups(
        _groups(paired, gate.min_items), gate.max_regression, gate.significance
    )
    overall = comparison.groups[0]
    scores = {
        "versusStableMedianDelta": round(overall.median, 4),
        "versusStablePValue": round(overall.p_value, 4),
    }
    worst = comparison.worst(gate.max_regression)
    if worst is not None:
        verdict = GateVerdict(
            name="versusStable",
            verdict="Fail",
            value=worst.median,
            threshold=threshold,
            reason=f"versusStable ({worst.label}): candidate LPIPS worse than stable by median "
            f"{fmt(worst.median)} > maxRegression {fmt(gate.max_regression)}, "
            f"Wilcoxon p={fmt(worst.p_value)} < {fmt(comparison.alpha)}",
        )
        return GateResult([verdict], scores)
    median = scores["versusStableMedianDelta"]
    verdict = GateVerdict(
        name="versusStable",
        verdict="Pass",
        value=median,
        threshold=threshold,
        reason=f"versusStable: no significant regression beyond maxRegression "
        f"{fmt(gate.max_regression)} (median delta {fmt(median)} over {len(paired)} items)",
    )
    return GateResult([verdict], scores)
