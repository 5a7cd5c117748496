"""Failure rate over every request made to one model (catalog F8, F9), by kind; the gate
holds the candidate's rate to a maximum, unless the stable model failed as badly. Every
verdict states the one-sided upper confidence bound on the rate and what the set can
detect; with minPower, a pass the set had too few requests to fail is Inconclusive."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import FailureRateGate

from ..stats.power import detectable_rate, detection_probability, upper_bound
from .gate import GateResult, compare, fmt, no_data, within

if TYPE_CHECKING:
    from ..results import ItemResult, ModelResult
    from .evidence import Evidence


@dataclass(frozen=True)
class FailureStats:
    requests: int
    failed: int
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.failed / self.requests if self.requests else None

    def kinds(self) -> str:
        return ", ".join(f"{kind}: {count}" for kind, count in sorted(self.by_kind.items()))


def failure_stats(outcomes: Iterable[str | None]) -> FailureStats:
    """Each outcome is None for a usable image, else the kind of failure."""
    kinds: Counter[str] = Counter()
    requests = 0
    for outcome in outcomes:
        requests += 1
        if outcome is not None:
            kinds[outcome] += 1
    return FailureStats(requests, sum(kinds.values()), dict(kinds))


def model_failures(
    results: Sequence[ItemResult], pick: Callable[[ItemResult], ModelResult]
) -> FailureStats:
    """Every request to one model, the seed replays included."""
    outcomes: list[str | None] = []
    for result in results:
        model = pick(result)
        outcomes.append(model.failure)
        if model.replay is not None:
            outcomes.append(model.replay_failure)
    return failure_stats(outcomes)


# The detection probability a failure-rate reason states when the gate declares no minPower.
STATED_POWER = 0.95
DETECT_RATE_WHEN_NONE_ALLOWED = 0.01


def detect_rate(gate: FailureRateGate) -> float:
    if gate.detect_rate is not None:
        return gate.detect_rate
    return 2 * gate.max if gate.max > 0 else DETECT_RATE_WHEN_NONE_ALLOWED


def power_note(gate: FailureRateGate, requests: int) -> tuple[str, str, float]:
    """What the set can detect: its probability of catching the gate's detectRate, and the
    smallest rate it catches with the stated probability."""
    target = detect_rate(gate)
    power = detection_probability(target, requests, gate.max)
    stated = gate.min_power or STATED_POWER
    smallest = detectable_rate(requests, gate.max, stated)
    return (
        f"with {requests} requests a failure rate of {fmt(target)} is detected with "
        f"probability {fmt(power)}",
        f"{fmt(stated * 100)} % detection needs a rate of {fmt(smallest)}",
        power,
    )


def judge(gate: FailureRateGate, evidence: Evidence) -> GateResult:
    stats = evidence.candidate_failures
    if not stats.requests:
        return GateResult(
            [no_data("failureRate", f"failureRate <= {fmt(gate.max)}", "failureRate: no requests")]
        )
    rate = stats.rate or 0.0
    bound = upper_bound(stats.failed, stats.requests, gate.confidence)
    level = f"{fmt(gate.confidence * 100)} % upper bound {fmt(bound)}"
    detail = f"{stats.failed} of {stats.requests} candidate requests failed" + (
        f" ({stats.kinds()})" if stats.failed else ""
    )
    detected, smallest, power = power_note(gate, stats.requests)
    excused = not evidence.stable_healthy
    if not within(rate, "<=", gate.max):
        caveat = ", but the stable model failed too" if excused else ""
        verdict = compare(
            "failureRate",
            rate,
            "<=",
            gate.max,
            threshold=f"failureRate <= {fmt(gate.max)}",
            measured=f"failureRate {fmt(rate)}",
            bound=f"max {fmt(gate.max)}{caveat}: {detail}; {level}",
            breach="Inconclusive" if excused else "Fail",
        )
        return GateResult([verdict])
    underpowered = gate.min_power is not None and power < gate.min_power
    if underpowered:
        reason = (
            f"failureRate {fmt(rate)} <= max {fmt(gate.max)}, but the set is too small to "
            f"show it: {detail}; {level}; {detected} < minPower {fmt(gate.min_power or 0)}; "
            f"{smallest}"
        )
    else:
        side = "<=" if bound <= gate.max else ">"
        reason = (
            f"failureRate {fmt(rate)} <= max {fmt(gate.max)}: {detail}; {level} {side} max; "
            f"{detected}; {smallest}"
        )
    return GateResult(
        [
            GateVerdict(
                name="failureRate",
                verdict="Inconclusive" if underpowered else "Pass",
                value=rate,
                threshold=f"failureRate <= {fmt(gate.max)}",
                limit=gate.max,
                comparison="<=",
                reason=reason,
            )
        ],
        {"failureRateUpperBound": round(bound, 4), "failureRatePower": round(power, 4)},
    )
