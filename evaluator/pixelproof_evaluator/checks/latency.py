"""Latency percentiles of successful generations (catalog F7), over every request each model
answered (first generations and replays): candidate p50, p95 and p99 against absolute limits,
and each compared percentile against stable's, a regression counting only when it is both
more than maxRegression (or a multiple of the calibrated run-to-run spread of that
percentile) and more than minDifferenceMs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import LatencyGate

from .gate import GateResult, compare, fmt, no_data
from .noise_floor import calibration_problem

if TYPE_CHECKING:
    from ..results import ItemResult, ModelResult
    from .evidence import Evidence

PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class LatencyStats:
    count: int
    percentiles: dict[int, float] = field(default_factory=dict)

    def at(self, q: int) -> float | None:
        return self.percentiles.get(q)

    @property
    def p50_ms(self) -> float | None:
        return self.at(50)

    @property
    def p95_ms(self) -> float | None:
        return self.at(95)


def latency_stats(latencies_ms: Sequence[float]) -> LatencyStats:
    if not latencies_ms:
        return LatencyStats(0)
    values = np.asarray(latencies_ms, dtype=np.float64)
    return LatencyStats(len(values), {q: float(np.percentile(values, q)) for q in PERCENTILES})


def model_latency(
    results: Sequence[ItemResult], pick: Callable[[ItemResult], ModelResult]
) -> LatencyStats:
    """Over every request of one model that was answered successfully, replays included."""
    values = []
    for result in results:
        model = pick(result)
        for generation in (model.generation, model.replay):
            if generation is not None and generation.ok and generation.latency_ms is not None:
                values.append(generation.latency_ms)
    return latency_stats(values)


def _regression(
    gate: LatencyGate, q: int, candidate: LatencyStats, stable: LatencyStats
) -> GateVerdict:
    max_regression = gate.max_regression or 0.0
    name = f"latency.p{q}.regression"
    floor = f" and +{fmt(gate.min_difference_ms)} ms" if gate.min_difference_ms else ""
    threshold = (
        f"p{q} <= max(stable x {fmt(1 + max_regression)}, stable + "
        f"{fmt(gate.min_difference_ms)} ms)"
    )
    mine, theirs = candidate.at(q), stable.at(q)
    if mine is None or not theirs:
        missing = [n for n, v in (("candidate", mine), ("stable", theirs)) if not v]
        return no_data(name, threshold, f"{name}: no successful {' or '.join(missing)} request")
    # The allowed value is the larger of the two bounds: a regression must break both.
    limit = max(theirs * (1 + max_regression), theirs + gate.min_difference_ms)
    return compare(
        name,
        mine,
        "<=",
        limit,
        threshold=f"{threshold} = {limit:.0f} ms",
        measured=f"{name}: candidate p{q} {mine:.0f} ms over {candidate.count} requests vs "
        f"stable {theirs:.0f} ms over {stable.count} ({(mine / theirs - 1) * 100:+.1f}%)",
        bound=f"{limit:.0f} ms (stable +{max_regression * 100:.1f}%{floor})",
    )


def _noise(
    gate: LatencyGate, q: int, candidate: LatencyStats, stable: LatencyStats, evidence: Evidence
) -> GateVerdict:
    multiple = gate.max_noise_multiple or 0.0
    name = f"latency.p{q}.noiseFloor"
    rule = (
        f"p{q} <= stable + max({fmt(multiple)} x calibrated spread, "
        f"{fmt(gate.min_difference_ms)} ms)"
    )
    problem = calibration_problem("latency", evidence)
    spread = (
        evidence.calibration.latency_spread_ms.get(f"p{q}")
        if evidence.calibration is not None
        else None
    )
    if problem is None and spread is None:
        problem = f"the calibration records no p{q} latency spread; recalibrate the golden set"
    if problem is not None or spread is None:
        return no_data(name, rule, f"{name}: {problem}")
    mine, theirs = candidate.at(q), stable.at(q)
    if mine is None or theirs is None:
        missing = [n for n, v in (("candidate", mine), ("stable", theirs)) if v is None]
        return no_data(name, rule, f"{name}: no successful {' or '.join(missing)} request")
    allowed = max(multiple * spread, gate.min_difference_ms)
    limit = theirs + allowed
    floor = f", at least +{fmt(gate.min_difference_ms)} ms" if gate.min_difference_ms else ""
    return compare(
        name,
        mine,
        "<=",
        limit,
        threshold=f"p{q} <= stable + max({fmt(multiple)} x calibrated spread {fmt(spread)} ms, "
        f"{fmt(gate.min_difference_ms)} ms) = {limit:.0f} ms",
        measured=f"{name}: candidate p{q} {mine:.0f} ms vs stable {theirs:.0f} ms",
        bound=f"{limit:.0f} ms (stable + {fmt(multiple)} x calibrated spread {fmt(spread)} ms"
        f"{floor})",
    )


def judge(gate: LatencyGate, evidence: Evidence) -> GateResult:
    candidate = model_latency(evidence.results, lambda r: r.candidate)
    stable = model_latency(evidence.results, lambda r: r.stable)
    scores: dict[str, float] = {}
    for prefix, stats in (("latency", candidate), ("stableLatency", stable)):
        for q, ms in stats.percentiles.items():
            scores[f"{prefix}P{q}Ms"] = round(ms, 1)
    verdicts = []
    for q, bound in ((50, gate.max_p50_ms), (95, gate.max_p95_ms), (99, gate.max_p99_ms)):
        if bound is None:
            continue
        name = f"latency.p{q}"
        threshold = f"{name} <= {fmt(bound)} ms"
        value = candidate.at(q)
        if value is None:
            verdicts.append(no_data(name, threshold, f"{name}: no successful candidate request"))
            continue
        verdicts.append(
            compare(
                name,
                value,
                "<=",
                bound,
                threshold=threshold,
                measured=f"{name} {value:.0f} ms over {candidate.count} requests",
                bound=f"{fmt(bound)} ms",
            )
        )
    compared = sorted(set(gate.compare_percentiles))
    if gate.max_regression is not None:
        verdicts.extend(_regression(gate, q, candidate, stable) for q in compared)
    if gate.max_noise_multiple is not None:
        verdicts.extend(_noise(gate, q, candidate, stable, evidence) for q in compared)
    return GateResult(verdicts, scores)
