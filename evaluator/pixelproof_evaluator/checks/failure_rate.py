"""Failure rate over every request made to one model (catalog F8, F9), by kind; the gate
holds the candidate's rate to a maximum, unless the stable model failed as badly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pixelproof.api.quality import FailureRateGate

from .gate import GateResult, compare, fmt, within

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


def judge(gate: FailureRateGate, evidence: Evidence) -> GateResult:
    stats = evidence.candidate_failures
    rate = stats.rate or 0.0
    detail = f"{stats.failed} of {stats.requests} candidate requests failed" + (
        f" ({stats.kinds()})" if stats.failed else ""
    )
    excused = not evidence.stable_healthy
    caveat = (
        ", but the stable model failed too" if excused and not within(rate, "<=", gate.max) else ""
    )
    verdict = compare(
        "failureRate",
        rate,
        "<=",
        gate.max,
        threshold=f"<= {fmt(gate.max)}",
        measured=f"failureRate {fmt(rate)}",
        bound=f"max {fmt(gate.max)}{caveat}: {detail}",
        breach="Inconclusive" if excused else "Fail",
    )
    return GateResult([verdict])
