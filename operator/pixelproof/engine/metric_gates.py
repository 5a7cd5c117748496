"""Judging metric samples against their gates.

Missing data is neither pass nor fail: it is Inconclusive, and the gate's
onNoData policy says whether that holds the rollout or counts as a breach."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pixelproof.api.metrics import MetricGate
from pixelproof.api.status import GateStatus
from pixelproof.api.verdicts import Verdict

from .observations import MetricSample


@dataclass(frozen=True)
class Judgement:
    gate: GateStatus
    rollback: bool
    rejected: bool = False


def threshold_text(gate: MetricGate) -> str:
    parts: list[str] = []
    if gate.min is not None:
        parts.append(f">= {gate.min:g}")
    if gate.max is not None:
        parts.append(f"<= {gate.max:g}")
    rel = gate.relative_to_stable
    if rel is not None:
        if rel.min_ratio is not None:
            parts.append(f">= {rel.min_ratio:g} x stable")
        if rel.max_ratio is not None:
            parts.append(f"<= {rel.max_ratio:g} x stable")
        if rel.min_difference is not None:
            parts[-1] += f" (or within {rel.min_difference:g} of stable)"
    return " and ".join(parts)


def _breach(gate: MetricGate, value: float, stable_value: float | None) -> str | None:
    """The broken bound in words, or None when the value is within bounds."""
    if gate.min is not None and value < gate.min:
        return f"{value:g} < min {gate.min:g}"
    if gate.max is not None and value > gate.max:
        return f"{value:g} > max {gate.max:g}"
    rel = gate.relative_to_stable
    if rel is None or stable_value is None:
        return None
    if rel.min_difference is not None and abs(value - stable_value) <= rel.min_difference:
        return None
    if rel.max_ratio is not None and value > rel.max_ratio * stable_value:
        return f"{value:g} > {rel.max_ratio:g} x stable {stable_value:g}"
    if rel.min_ratio is not None and value < rel.min_ratio * stable_value:
        return f"{value:g} < {rel.min_ratio:g} x stable {stable_value:g}"
    return None


def _no_data(value: float | None) -> bool:
    return value is None or math.isnan(value) or math.isinf(value)


def judge(
    gate: MetricGate, sample: MetricSample, previous: GateStatus | None, now: str
) -> Judgement:
    breaches = previous.consecutive_breaches if previous else 0
    errors = previous.consecutive_errors if previous else 0
    base = GateStatus(
        name=gate.name,
        query=sample.query,
        stable_query=sample.stable_query,
        value=None if _no_data(sample.value) else sample.value,
        stable_value=None if _no_data(sample.stable_value) else sample.stable_value,
        threshold=threshold_text(gate),
        last_time=now,
    )
    if sample.error is not None:
        errors += 1
        if sample.rejected:
            return Judgement(
                base.model_copy(
                    update={
                        "verdict": "Inconclusive",
                        "consecutive_errors": errors,
                        "consecutive_breaches": breaches,
                        "message": f"query rejected: {sample.error}",
                    }
                ),
                rollback=False,
                rejected=True,
            )
        limit = gate.max_consecutive_errors
        failed = limit is not None and errors >= limit
        message = f"provider error ({errors} in a row): {sample.error}"
        if failed:
            message += f"; limit {limit} reached"
        verdict: Verdict = "Fail" if failed else "Inconclusive"
        return Judgement(
            base.model_copy(
                update={
                    "verdict": verdict,
                    "consecutive_errors": errors,
                    "consecutive_breaches": breaches,
                    "message": message,
                }
            ),
            rollback=failed,
        )
    needs_stable = gate.relative_to_stable is not None
    if _no_data(sample.value) or (needs_stable and _no_data(sample.stable_value)):
        side = "candidate" if _no_data(sample.value) else "stable"
        if gate.on_no_data == "hold":
            return Judgement(
                base.model_copy(
                    update={
                        "verdict": "Inconclusive",
                        "consecutive_breaches": breaches,
                        "message": f"no data for the {side} (onNoData: hold)",
                    }
                ),
                rollback=False,
            )
        breaches += 1
        failed = gate.critical or breaches >= gate.failure_limit
        return Judgement(
            base.model_copy(
                update={
                    "verdict": "Fail",
                    "consecutive_breaches": breaches,
                    "message": f"no data for the {side} (onNoData: fail), breach {breaches} of {gate.failure_limit}",
                }
            ),
            rollback=failed,
        )
    assert sample.value is not None
    broken = _breach(gate, sample.value, sample.stable_value)
    if broken is None:
        return Judgement(
            base.model_copy(update={"verdict": "Pass", "message": "within threshold"}),
            rollback=False,
        )
    breaches += 1
    failed = gate.critical or breaches >= gate.failure_limit
    limit_text = "critical" if gate.critical else f"breach {breaches} of {gate.failure_limit}"
    return Judgement(
        base.model_copy(
            update={
                "verdict": "Fail",
                "consecutive_breaches": breaches,
                "message": f"{broken} ({limit_text})",
            }
        ),
        rollback=failed,
    )
