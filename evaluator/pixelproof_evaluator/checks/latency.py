"""Latency percentiles of successful generations (catalog F7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


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
