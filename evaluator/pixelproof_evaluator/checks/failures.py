"""Failure rate over every request made to one model (catalog F8, F9), by kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FailureStats:
    requests: int
    failed: int
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.failed / self.requests if self.requests else None


def failure_stats(outcomes: Iterable[str | None]) -> FailureStats:
    """Each outcome is None for a usable image, else the kind of failure."""
    kinds: Counter[str] = Counter()
    requests = 0
    for outcome in outcomes:
        requests += 1
        if outcome is not None:
            kinds[outcome] += 1
    return FailureStats(requests, sum(kinds.values()), dict(kinds))
