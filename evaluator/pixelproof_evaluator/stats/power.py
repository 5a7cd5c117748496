"""What a set of n requests can show about a failure rate: the one-sided Clopper-Pearson
upper bound on the rate, and the probability that a rule failing on more than `allowed`
failures catches a given true rate."""

from __future__ import annotations

import math

from scipy.stats import beta, binom


def upper_bound(failed: int, requests: int, confidence: float) -> float:
    """One-sided Clopper-Pearson upper confidence bound on the failure rate."""
    if failed >= requests:
        return 1.0
    return float(beta.ppf(confidence, failed + 1, requests - failed))


def allowed_failures(max_rate: float, requests: int) -> int:
    """The most failures a rate of at most max_rate admits in this many requests."""
    return math.floor(max_rate * requests + 1e-9)


def detection_probability(rate: float, requests: int, max_rate: float) -> float:
    """Chance that a candidate failing at `rate` shows more failures than max_rate admits."""
    return float(binom.sf(allowed_failures(max_rate, requests), requests, rate))


def detectable_rate(requests: int, max_rate: float, power: float) -> float:
    """The smallest true failure rate caught with at least this probability."""
    low, high = max_rate, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if detection_probability(middle, requests, max_rate) >= power:
            high = middle
        else:
            low = middle
    return high
