"""Judging metric samples against their gates.

Missing data is neither pass nor fail: it is Inconclusive, and the gate's
onNoData policy says whether that holds the rollout or counts as a breach. Too few
candidate requests for the gate's minRequests hold it too, whatever onNoData says: the
candidate is serving, just not enough yet to be judged. A dry-run gate is judged the same
way, but its judgement never rolls back."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pixelproof.api.metrics import MetricGate
from pixelproof.api.status import GateStatus
from pixelproof.api.verdicts import Verdict

from .gate_bounds import bounds_of
from .observations import MetricSample


@dataclass(frozen=True)
class Judgement:
    gate: GateStatus
    rollback: bool
    rejected: bool = False


def _no_data(value: float | None) -> bool:
    return value is None or math.isnan(value) or math.isinf(value)


def _too_few_requests(gate: MetricGate, sample: MetricSample) -> str | None:
    """Why the gate does not judge yet, when the candidate served some requests in the
    window but fewer than minRequests. None requests leave the value's own no-data rule to
    decide, so a candidate that answers nothing still meets onNoData."""
    least, served = gate.min_requests, sample.requests
    if least is None or served is None or served <= 0 or served >= least:
        return None
    return f"{served:.0f} candidate requests in the window, fewer than minRequests {least}"


def judge(
    gate: MetricGate, sample: MetricSample, previous: GateStatus | None, now: str
) -> Judgement:
    breaches = previous.consecutive_breaches if previous else 0
    errors = previous.consecutive_errors if previous else 0
    bounds = bounds_of(gate)
    base = GateStatus(
        name=gate.name,
        query=sample.query,
        stable_query=sample.stable_query,
        value=None if _no_data(sample.value) else sample.value,
        stable_value=None if _no_data(sample.stable_value) else sample.stable_value,
        threshold=bounds.threshold_text(),
        last_time=now,
        dry_run=True if gate.dry_run else None,
    )

    def judged(
        verdict: Verdict,
        message: str,
        *,
        breaches: int = 0,
        errors: int = 0,
        rollback: bool = False,
        rejected: bool = False,
    ) -> Judgement:
        """The counters not passed start again from zero: a verdict of the other kind broke the run."""
        if rollback and gate.dry_run:
            message += " (dry run: would roll back)"
            rollback = False
        update = {
            "verdict": verdict,
            "message": message,
            "consecutive_breaches": breaches,
            "consecutive_errors": errors,
        }
        return Judgement(base.model_copy(update=update), rollback=rollback, rejected=rejected)

    if sample.error is not None:
        errors += 1
        if sample.rejected:
            return judged(
                "Inconclusive",
                f"query rejected: {sample.error}",
                breaches=breaches,
                errors=errors,
                rejected=True,
            )
        limit = gate.max_consecutive_errors
        failed = limit is not None and errors >= limit
        message = f"provider error ({errors} in a row): {sample.error}"
        if failed:
            message += f"; limit {limit} reached"
        verdict: Verdict = "Fail" if failed else "Inconclusive"
        return judged(verdict, message, breaches=breaches, errors=errors, rollback=failed)
    too_few = _too_few_requests(gate, sample)
    if too_few is not None:
        return judged("Inconclusive", too_few, breaches=breaches)
    needs_stable = gate.relative_to_stable is not None
    if _no_data(sample.value) or (needs_stable and _no_data(sample.stable_value)):
        side = "candidate" if _no_data(sample.value) else "stable"
        if gate.on_no_data == "hold":
            return judged(
                "Inconclusive", f"no data for the {side} (onNoData: hold)", breaches=breaches
            )
        breaches += 1
        return judged(
            "Fail",
            f"no data for the {side} (onNoData: fail), breach {breaches} of {gate.failure_limit}",
            breaches=breaches,
            rollback=gate.critical or breaches >= gate.failure_limit,
        )
    assert sample.value is not None
    broken = bounds.breach(sample.value, sample.stable_value)
    if broken is None:
        return judged("Pass", "within threshold")
    breaches += 1
    limit_text = "critical" if gate.critical else f"breach {breaches} of {gate.failure_limit}"
    return judged(
        "Fail",
        f"{broken} ({limit_text})",
        breaches=breaches,
        rollback=gate.critical or breaches >= gate.failure_limit,
    )
