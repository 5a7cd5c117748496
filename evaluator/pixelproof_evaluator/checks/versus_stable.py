"""Candidate against stable on the same items (catalog F4, F10): per-item LPIPS deltas to the
reference, tested for a significant regression beyond maxRegression over all items and
within each tag."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import VersusStableGate
from pixelproof.api.verdicts import FinalVerdict

from ..stats.paired import compare_groups, detectable_regression, regression_power
from .gate import GateResult, fmt, no_data

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence

# A candidate output that never arrived is as far from the reference as LPIPS goes.
MISSING_OUTPUT_DISTANCE = 1.0
ALL_ITEMS = "all items"
STATED_POWER = 0.8
# With maxRegression 0 the power is stated for a regression of this much LPIPS.
MIN_STATED_REGRESSION = 0.01


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


def _threshold(gate: VersusStableGate, alpha: float) -> str:
    """`alpha` is the significance each group is tested at, as the reason states it."""
    return (
        f"median LPIPS regression <= {fmt(gate.max_regression)} unless significant "
        f"(p < {fmt(alpha)})"
    )


def _verdict(
    gate: VersusStableGate, verdict: FinalVerdict, median: float, alpha: float, reason: str
) -> GateVerdict:
    return GateVerdict(
        name="versusStable",
        verdict=verdict,
        value=median,
        threshold=_threshold(gate, alpha),
        limit=gate.max_regression,
        comparison="<=",
        reason=reason,
    )


def judge(gate: VersusStableGate, evidence: Evidence) -> GateResult:
    paired = paired_deltas(evidence)
    if len(paired) < gate.min_items:
        # Too few items for any tag of its own: the one group is tested at the significance.
        threshold = _threshold(gate, gate.significance)
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
        verdict = _verdict(
            gate,
            "Fail",
            worst.median,
            comparison.alpha,
            f"versusStable ({worst.label}): candidate LPIPS worse than stable by median "
            f"{fmt(worst.median)} > maxRegression {fmt(gate.max_regression)}, "
            f"Wilcoxon p={fmt(worst.p_value)} < {fmt(comparison.alpha)}",
        )
        return GateResult([verdict], scores)
    median = scores["versusStableMedianDelta"]
    deltas = [d for _, d in paired]
    power_text, power = _power(gate, deltas, comparison.alpha)
    underpowered = gate.min_power is not None and power < gate.min_power
    reason = (
        f"versusStable: no significant regression beyond maxRegression "
        f"{fmt(gate.max_regression)} (median delta {fmt(median)} over {len(paired)} items); "
        f"{power_text}"
    )
    if underpowered:
        reason += f" < minPower {fmt(gate.min_power or 0)}: the set is too small to show it"
    verdict = _verdict(
        gate, "Inconclusive" if underpowered else "Pass", median, comparison.alpha, reason
    )
    scores["versusStablePower"] = round(power, 4)
    return GateResult([verdict], scores)


def _power(gate: VersusStableGate, deltas: list[float], alpha: float) -> tuple[str, float]:
    """The chance of flagging a regression of twice maxRegression, and the smallest
    regression flagged with the stated probability."""
    regression = max(gate.max_regression, MIN_STATED_REGRESSION)
    power = regression_power(deltas, regression, alpha)
    stated = gate.min_power or STATED_POWER
    smallest = detectable_regression(deltas, alpha, stated)
    detectable = (
        f"the smallest detected with probability {fmt(stated)} is {fmt(smallest)} beyond it"
        if smallest is not None
        else f"no regression can reach p < {fmt(alpha)} with {len(deltas)} items"
    )
    return (
        f"a regression {fmt(regression)} beyond maxRegression is detected with probability "
        f"{fmt(power)}; {detectable}",
        power,
    )
