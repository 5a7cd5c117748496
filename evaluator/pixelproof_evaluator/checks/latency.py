"""Latency percentiles of successful generations (catalog F7): candidate p50 and p95 against
absolute limits, and candidate p50 against stable p50."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import LatencyGate

from .gate import GateResult, compare, fmt, no_data

if TYPE_CHECKING:
    from ..results import ItemResult, ModelResult
    from .evidence import Evidence


@dataclass(frozen=True)
class LatencyStats:
    count: int
    p50_ms: float | None
    p95_ms: float | None


def latency_stats(latencies_ms: Sequence[float]) -> LatencyStats:
    if not latencies_ms:
        return LatencyStats(0, None, None)
    values = np.asarray(latencies_ms, dtype=np.float64)
    return LatencyStats(
        len(values), float(np.percentile(values, 50)), float(np.percentile(values, 95))
    )


def model_latency(
    results: Sequence[ItemResult], pick: Callable[[ItemResult], ModelResult]
) -> LatencyStats:
    """Over the first generation of each item that gave a usable image."""
    values = []
    for result in results:
        model = pick(result)
        if model.usable and model.generation.latency_ms is not None:
            values.append(model.generation.latency_ms)
    return latency_stats(values)


def _regression(
    max_regression: float, candidate: LatencyStats, stable: LatencyStats
) -> GateVerdict:
    threshold = f"<= +{fmt(max_regression * 100)}% vs stable p50"
    missing = [
        name for name, stats in (("candidate", candidate), ("stable", stable)) if not stats.p50_ms
    ]
    if candidate.p50_ms is None or not stable.p50_ms:
        return no_data(
            "latency.regression",
            threshold,
            f"latency.regression: no successful {' or '.join(missing)} request",
        )
    change = candidate.p50_ms / stable.p50_ms - 1.0
    return compare(
        "latency.regression",
        change,
        "<=",
        max_regression,
        threshold=threshold,
        measured=f"latency.regression: candidate p50 {candidate.p50_ms:.0f} ms vs stable "
        f"{stable.p50_ms:.0f} ms ({change * 100:+.1f}%)",
        bound=f"+{max_regression * 100:.1f}%",
    )


def judge(gate: LatencyGate, evidence: Evidence) -> GateResult:
    candidate = model_latency(evidence.results, lambda r: r.candidate)
    stable = model_latency(evidence.results, lambda r: r.stable)
    scores: dict[str, float] = {}
    if candidate.p50_ms is not None and candidate.p95_ms is not None:
        scores["latencyP50Ms"] = round(candidate.p50_ms, 1)
        scores["latencyP95Ms"] = round(candidate.p95_ms, 1)
    if stable.p50_ms is not None:
        scores["stableLatencyP50Ms"] = round(stable.p50_ms, 1)
    verdicts = []
    for name, limit, value in (
        ("latency.p50", gate.max_p50_ms, candidate.p50_ms),
        ("latency.p95", gate.max_p95_ms, candidate.p95_ms),
    ):
        if limit is None:
            continue
        threshold = f"<= {fmt(limit)} ms"
        if value is None:
            verdicts.append(no_data(name, threshold, f"{name}: no successful candidate request"))
            continue
        verdicts.append(
            compare(
                name,
                value,
                "<=",
                limit,
                threshold=threshold,
                measured=f"{name} {value:.0f} ms",
                bound=f"{fmt(limit)} ms",
            )
        )
    if gate.max_regression is not None:
        verdicts.append(_regression(gate.max_regression, candidate, stable))
    return GateResult(verdicts, scores)
