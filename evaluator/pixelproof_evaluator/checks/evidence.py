"""What every check judges from: the per-item results, each model's failed requests, and the
golden set's calibrated noise floor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .failure_rate import FailureStats, model_failures
from .stable_health import STABLE_HEALTHY_MAX_FAILURE

if TYPE_CHECKING:
    from ..calibration import Calibration
    from ..results import ItemResult


@dataclass(frozen=True)
class Evidence:
    results: Sequence[ItemResult]
    stable_failures: FailureStats
    candidate_failures: FailureStats
    calibration: Calibration | None = None
    """The golden set's noise floor, when it was calibrated."""
    backbone: str | None = None
    """The LPIPS backbone this evaluation scored with."""

    @classmethod
    def of(
        cls,
        results: Sequence[ItemResult],
        calibration: Calibration | None = None,
        backbone: str | None = None,
    ) -> Evidence:
        return cls(
            results,
            model_failures(results, lambda r: r.stable),
            model_failures(results, lambda r: r.candidate),
            calibration,
            backbone,
        )

    @property
    def stable_healthy(self) -> bool:
        rate = self.stable_failures.rate
        return rate is not None and rate <= STABLE_HEALTHY_MAX_FAILURE

    def usable(self) -> list[ItemResult]:
        """Items whose candidate output arrived and decoded."""
        return [r for r in self.results if r.candidate.usable]
