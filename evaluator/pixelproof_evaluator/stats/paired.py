"""Paired comparison of two models on the same items: the one-sided Wilcoxon signed-rank test
of 'the candidate is worse by more than a margin', over several groups of items at once with
a Bonferroni correction; and what the test can detect at this many items."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, wilcoxon


def paired_regression(deltas: Sequence[float], margin: float) -> tuple[float, float]:
    """Median of candidate-minus-stable deltas, and the one-sided Wilcoxon signed-rank p-value
    for 'the candidate is worse by more than margin'."""
    values = np.asarray(deltas, dtype=np.float64)
    shifted = values - margin
    median = float(np.median(values))
    if np.allclose(shifted, 0.0):
        return median, 1.0
    result = wilcoxon(shifted, alternative="greater", zero_method="wilcox")
    p_value = float(result.pvalue)
    return median, 1.0 if np.isnan(p_value) else p_value


@dataclass(frozen=True)
class GroupRegression:
    label: str
    median: float
    p_value: float


@dataclass(frozen=True)
class PairedComparison:
    groups: list[GroupRegression]
    alpha: float
    """The level each group is tested at: the declared significance over the group count."""

    def worst(self, margin: float) -> GroupRegression | None:
        """The most significant group whose regression exceeds the margin, if any."""
        significant = [g for g in self.groups if g.p_value < self.alpha and g.median > margin]
        return min(significant, key=lambda g: g.p_value, default=None)


def compare_groups(
    groups: Mapping[str, Sequence[float]], margin: float, significance: float
) -> PairedComparison:
    # Several groups are tested at once: Bonferroni keeps the false-alarm rate at the
    # declared significance, so a good candidate is not rolled back by chance.
    alpha = significance / len(groups)
    tested = [
        GroupRegression(label, *paired_regression(deltas, margin))
        for label, deltas in groups.items()
    ]
    return PairedComparison(tested, alpha)


# Asymptotic relative efficiency of the signed-rank test to the t-test on normal data is
# 3/pi, so its standard error is this much wider.
_WILCOXON_SE_FACTOR = math.sqrt(math.pi / 3)


def regression_power(deltas: Sequence[float], regression: float, alpha: float) -> float:
    """Chance the one-sided test at level alpha flags a median regression `regression` above
    the margin, at this many items and the spread the deltas show (normal approximation)."""
    n = len(deltas)
    if n == 0 or 0.5**n >= alpha:
        return 0.0
    spread = float(np.std(deltas, ddof=1)) if n > 1 else 0.0
    if spread == 0.0:
        return 1.0
    shift = regression * math.sqrt(n) / (spread * _WILCOXON_SE_FACTOR)
    return float(norm.cdf(shift - norm.ppf(1 - alpha)))


def detectable_regression(deltas: Sequence[float], alpha: float, power: float) -> float | None:
    """The smallest regression beyond the margin flagged with this probability; None when no
    regression can reach significance with this few items."""
    n = len(deltas)
    if n == 0 or 0.5**n >= alpha:
        return None
    spread = float(np.std(deltas, ddof=1)) if n > 1 else 0.0
    z = norm.ppf(1 - alpha) + norm.ppf(power)
    return float(z * spread * _WILCOXON_SE_FACTOR / math.sqrt(n))
