"""What every check judges from: the per-item results and each model's failed requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .failure_rate import FailureStats, model_failures
from .stable_health import STABLE_HEALTHY_MAX_FAILURE

if TYPE_CHECKING:
    from ..results import ItemResult


@dataclass(frozen=True)
class Evidence:
    results: Sequence[ItemResult]
    stable_failures: FailureStats
    candidate_failures: FailureStats

    @classmethod
    def of(cls, results: Sequence[ItemResult]) -> Evidence:
        return cls(
            results,
            model_failures(results, lambda r: r.stable),
            model_failures(results, lambda r: r.candidate),
        )

    @property
    def stable_healthy(self) -> bool:
        rate = self.stable_failures.rate
        return rate is not None and rate <= STABLE_HEALTHY_MAX_FAILURE

    def usable(self) -> list[ItemResult]:
        """Items whose candidate output arrived and decoded."""
        return [r for r in self.results if r.candidate.usable]
