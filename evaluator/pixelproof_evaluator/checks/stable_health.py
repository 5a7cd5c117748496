"""The pre-gate on the baseline: when the stable model itself cannot serve most items the
environment is broken, and the evaluation says so instead of judging the candidate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixelproof.api.evaluation import GateVerdict

if TYPE_CHECKING:
    from .evidence import Evidence

# Above this share of failed requests the stable model is not a usable baseline.
STABLE_HEALTHY_MAX_FAILURE = 0.5


def judge(evidence: Evidence) -> GateVerdict:
    stats = evidence.stable_failures
    rate = stats.rate if stats.rate is not None else 1.0
    return GateVerdict(
        name="stable",
        verdict="Inconclusive",
        value=rate,
        threshold=f"stable failure rate <= {STABLE_HEALTHY_MAX_FAILURE}",
        limit=STABLE_HEALTHY_MAX_FAILURE,
        comparison="<=",
        reason=f"stable model failed {stats.failed} of {stats.requests} requests "
        f"({stats.kinds()}): no usable baseline",
    )
