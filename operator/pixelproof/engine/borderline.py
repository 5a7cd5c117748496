"""Gates close to their threshold: the cases a review step asks a person to look at."""

from __future__ import annotations

import re

from .context import Context
from .gate_bounds import bounds_of

# Evaluators that predate a verdict's `limit` wrote only its threshold text, as "<= 0.25",
# "passRate >= 0.9" or "regression <= 0.05 (p < 0.05)": the first comparison is the limit.
_LIMIT = re.compile(r"(<=|>=|<|>)\s*\+?(-?[0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?)")


def verdict_limit(limit: object, threshold: object) -> float | None:
    """The number a quality gate's value was held against: the verdict's `limit`, or for a
    verdict without one the first bound in its threshold text."""
    if isinstance(limit, int | float) and not isinstance(limit, bool):
        return float(limit)
    match = _LIMIT.search(threshold if isinstance(threshold, str) else "")
    return None if match is None else float(match.group(2))


def distance(value: float, limit: float) -> float:
    """How far the value is from the limit, relative to it (absolute when the limit is zero)."""
    return abs(value - limit) / (abs(limit) or 1.0)


def near(value: float, limit: float, margin: float) -> bool:
    return distance(value, limit) <= margin


def borderline_gates(ctx: Context, margin: float) -> list[str]:
    """Each gate of the last evaluation and every metric gate whose value lies within
    `margin` of a threshold, in words."""
    found = []
    evaluation = ctx.status.last_evaluation
    for verdict in evaluation.gates if evaluation is not None else []:
        limit = verdict_limit(verdict.limit, verdict.threshold)
        if verdict.value is None or limit is None:
            continue
        if near(verdict.value, limit, margin):
            found.append(f"{verdict.name} {verdict.value:g} (threshold {verdict.threshold})")
    for status in ctx.status.gates:
        gate = ctx.gates.get(status.name)
        if gate is None or status.value is None:
            continue
        for _, limit in bounds_of(gate).effective(status.stable_value):
            if near(status.value, limit, margin):
                found.append(
                    f"metric {status.name} {status.value:g} (threshold {status.threshold})"
                )
                break
    return found
