"""Each verdict's threshold says what its reason compares: the number the value was held
against is carried as `limit` with its `comparison`, and the text writes the same number,
the Bonferroni-corrected significance of the paired comparison included."""

from __future__ import annotations

import re

import numpy as np
import pytest

from pixelproof.api.evaluation import EvaluationSummary, GateVerdict
from pixelproof.api.quality import QualityGates
from pixelproof_evaluator.checks.gate import fmt, within
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import judge
from pixelproof_evaluator.results import ItemResult, ModelResult

SIGNIFICANCE = 0.05


def _results(
    stable: list[float], candidate: list[float], *, latency_ms: float = 100.0
) -> list[ItemResult]:
    """Items tagged `a` and `b` alternately, so the paired comparison tests three groups."""
    out = []
    for index, (s, c) in enumerate(zip(stable, candidate, strict=True)):
        spec = GoldenItemSpec(
            id=f"i{index}", prompt="p", seed=index, size="64x64", tags=["ab"[index % 2]]
        )
        item = GoldenItem(spec, 64, 64, b"")
        out.append(
            ItemResult(
                item,
                ModelResult(GenerationResult(b"", 100.0, 1), lpips=s),
                ModelResult(GenerationResult(b"", latency_ms, 1), lpips=c),
            )
        )
    return out


def _versus(results: list[ItemResult]) -> GateVerdict:
    gates = QualityGates.model_validate(
        {"versusStable": {"maxRegression": 0.01, "minItems": 6, "minPower": None}}
    )
    return judge(gates, results).gates[0]


def test_a_regression_names_the_corrected_significance_in_threshold_and_reason() -> None:
    verdict = _versus(_results([0.1] * 12, [0.3] * 12))
    alpha = fmt(SIGNIFICANCE / 3)
    assert verdict.verdict == "Fail", verdict.reason
    assert verdict.reason.endswith(f"< {alpha}"), verdict.reason
    assert verdict.threshold == f"median LPIPS regression <= 0.01 unless significant (p < {alpha})"
    assert (verdict.limit, verdict.comparison) == (0.01, "<=")


def test_a_pass_states_the_same_corrected_significance() -> None:
    rng = np.random.default_rng(3)
    verdict = _versus(_results([0.1] * 12, list(0.1 + rng.normal(0, 0.001, 12))))
    assert verdict.verdict == "Pass", verdict.reason
    assert verdict.threshold is not None and f"(p < {fmt(SIGNIFICANCE / 3)})" in verdict.threshold


def test_too_few_items_for_a_tag_are_tested_at_the_significance_itself() -> None:
    verdict = _versus(_results([0.1] * 4, [0.3] * 4))
    assert verdict.verdict == "Inconclusive"
    assert verdict.threshold is not None and verdict.threshold.endswith(f"(p < {SIGNIFICANCE})")


@pytest.mark.parametrize(("candidate_ms", "passes"), [(150.0, True), (500.0, False)])
def test_numeric_verdicts_carry_the_limit_their_reason_compares(
    candidate_ms: float, passes: bool
) -> None:
    gates = QualityGates.model_validate(
        {
            "lpips": {"maxMean": 0.2},
            "failureRate": {"max": 0.1},
            "latency": {"maxRegression": 0.1, "minDifferenceMs": 250, "comparePercentiles": [50]},
        }
    )
    verdicts = judge(gates, _results([0.1] * 8, [0.15] * 8, latency_ms=candidate_ms)).gates
    by_name = {v.name: v for v in verdicts}
    assert set(by_name) == {"lpips", "failureRate", "latency.p50.regression"}
    for verdict in verdicts:
        assert verdict.limit is not None and verdict.comparison is not None, verdict
        assert verdict.value is not None
        held = within(verdict.value, verdict.comparison, verdict.limit)
        assert held == (verdict.verdict == "Pass"), verdict
        numbers = {float(n) for n in re.findall(r"-?[0-9]+(?:\.[0-9]+)?", verdict.threshold or "")}
        assert round(verdict.limit) in numbers or float(fmt(verdict.limit)) in numbers, verdict
    latency = by_name["latency.p50.regression"]
    assert latency.limit == 350.0
    assert latency.threshold == "p50 <= max(stable x 1.1, stable + 250 ms) = 350 ms"
    assert (latency.verdict == "Pass") is passes, latency.reason
    assert "<= 350 ms" in latency.reason if passes else "> 350 ms" in latency.reason


def test_the_limit_survives_the_termination_message_and_old_messages_still_read() -> None:
    verdict = GateVerdict(
        name="lpips", verdict="Pass", value=0.1, threshold="lpips mean <= 0.2", limit=0.2,
        comparison="<=", reason="lpips mean 0.1 <= maxMean 0.2",
    )  # fmt: skip
    text = EvaluationSummary(verdict="Pass", gates=[verdict]).to_termination_message()
    assert EvaluationSummary.model_validate_json(text).gates[0] == verdict
    old = '{"verdict":"Pass","gates":[{"name":"lpips","verdict":"Pass","value":0.1,"threshold":"<= 0.2"}]}'
    read = EvaluationSummary.model_validate_json(old).gates[0]
    assert (read.limit, read.comparison, read.threshold) == (None, None, "<= 0.2")
