"""The failure-rate gate judges by a confidence bound and says what the set can detect; with
minPower, a pass the set was too small to fail is Inconclusive, with the numbers."""

from __future__ import annotations

import random
from pathlib import Path

from small_sets import CONTRACT, evaluate_on, tiny_golden

from pixelproof.api.quality import QualityGates
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.client import GenerationResult, RetryPolicy
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import judge
from pixelproof_evaluator.results import ItemResult, ModelResult
from pixelproof_evaluator.stats.power import detection_probability, upper_bound
from pixelproof_refgen import Faults, RefGenServer

OK = GenerationResult(b"png", 100.0, 1, status=200)
FAILED = GenerationResult(None, None, 3, "http", 502, "bad gateway")


def _results(items: int, candidate_failure: float, rng: random.Random) -> list[ItemResult]:
    """Each item asked once and replayed once; the candidate fails at the given rate."""
    out = []
    for index in range(items):
        spec = GoldenItemSpec(id=f"i{index}", prompt="p", seed=index, size="64x64")

        def request() -> GenerationResult:
            return FAILED if rng.random() < candidate_failure else OK

        first = request()
        candidate = ModelResult(first, replay=request() if first.ok else None)
        out.append(ItemResult(GoldenItem(spec, 64, 64, b""), ModelResult(OK, replay=OK), candidate))
    return out


def test_a_set_too_small_for_the_declared_power_is_inconclusive_with_the_numbers() -> None:
    gates = QualityGates.model_validate({"failureRate": {"max": 0.02, "minPower": 0.95}})
    verdict = judge(gates, _results(20, 0.0, random.Random(1))).gates[0]
    assert verdict.verdict == "Inconclusive"
    assert "too small" in verdict.reason
    assert "0 of 40 candidate requests failed" in verdict.reason
    assert "with 40 requests a failure rate of 0.04 is detected with probability 0.8" in (
        verdict.reason
    )
    assert "detected with probability 0.8046 < minPower 0.95" in verdict.reason
    assert "95 % upper bound 0.07" in verdict.reason


def test_without_min_power_the_reason_still_states_what_the_set_can_detect() -> None:
    gates = QualityGates.model_validate({"failureRate": {"max": 0.02}})
    judgement = judge(gates, _results(20, 0.0, random.Random(1)))
    verdict = judgement.gates[0]
    assert verdict.verdict == "Pass"
    assert "upper bound 0.07" in verdict.reason and "> max" in verdict.reason
    assert "detected with probability 0.8" in verdict.reason
    assert judgement.scores["failureRatePower"] < 0.95


def test_a_large_enough_set_catches_a_three_percent_failure_rate() -> None:
    gates = QualityGates.model_validate(
        {"failureRate": {"max": 0.01, "minPower": 0.95, "detectRate": 0.03}}
    )
    verdicts = [judge(gates, _results(250, 0.03, random.Random(seed))) for seed in range(20)]
    caught = sum(j.gates[0].verdict == "Fail" for j in verdicts)
    assert caught >= 19, [j.gates[0].reason for j in verdicts]
    assert detection_probability(0.03, 500, 0.01) >= 0.95


def test_a_good_candidate_on_a_large_set_passes_with_the_power_declared() -> None:
    gates = QualityGates.model_validate(
        {"failureRate": {"max": 0.01, "minPower": 0.95, "detectRate": 0.03}}
    )
    verdict = judge(gates, _results(250, 0.0, random.Random(3))).gates[0]
    assert verdict.verdict == "Pass", verdict.reason
    assert "upper bound" in verdict.reason and "<= max" in verdict.reason


def test_upper_bound_is_clopper_pearson() -> None:
    assert abs(upper_bound(0, 40, 0.95) - (1 - 0.05 ** (1 / 40))) < 1e-9
    assert upper_bound(40, 40, 0.95) == 1.0
    assert upper_bound(3, 100, 0.95) > 0.03


def test_versus_stable_too_few_items_for_any_significance_is_inconclusive() -> None:
    gates = QualityGates.model_validate(
        {"versusStable": {"maxRegression": 0.01, "minItems": 3, "minPower": 0.8}}
    )
    results = _results(4, 0.0, random.Random(0))
    for index, r in enumerate(results):
        r.stable.lpips = 0.1
        r.candidate.lpips = 0.1 + 0.001 * index
    verdict = judge(gates, results).gates[0]
    assert verdict.verdict == "Inconclusive"
    assert "no regression can reach p < 0.05 with 4 items" in verdict.reason
    assert "minPower 0.8" in verdict.reason


def test_a_real_three_percent_corrupt_png_rate_is_caught(tmp_path: Path, models: Models) -> None:
    folder = tiny_golden(tmp_path / "golden", 150, 32)
    gates = QualityGates.model_validate(
        {"failureRate": {"max": 0.01, "minPower": 0.95, "detectRate": 0.03}}
    )
    with RefGenServer(0) as stable:
        assert not capture(folder, stable.url, CONTRACT).failed
        with RefGenServer(0, Faults(corrupt_png=0.03, fault_seed=5)) as candidate:
            summary = evaluate_on(
                folder,
                stable.url,
                candidate.url,
                gates,
                tmp_path / "report",
                models,
                retry=RetryPolicy(max_attempts=1),
            )
    verdict = summary.gates[0]
    assert verdict.verdict == "Fail", verdict.reason
    assert "decode" in verdict.reason
