"""Latency written relative to the calibrated run-to-run spread of each percentile, as the
other noise-floor gates are: a candidate slower than stable by more than that multiple of
the spread (and more than minDifferenceMs) fails; an uncalibrated set is Inconclusive."""

from __future__ import annotations

from pathlib import Path

from small_sets import CONTRACT, evaluate_on, tiny_golden

from pixelproof.api.quality import QualityGates
from pixelproof_evaluator.calibrate import calibrate
from pixelproof_evaluator.calibration import Calibration
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import judge
from pixelproof_evaluator.results import ItemResult, ModelResult
from pixelproof_refgen import Faults, RefGenServer

BASE_MS = 200.0
CALIBRATION = Calibration(backbone="alex", runs=4, items={}, latency_spread_ms={"p50": 20.0})


def _gates(**latency: object) -> QualityGates:
    return QualityGates.model_validate(
        {"latency": {"maxNoiseMultiple": 3, "comparePercentiles": [50], **latency}}
    )


def _results(candidate_ms: float) -> list[ItemResult]:
    results = []
    for index in range(10):
        item = GoldenItem(GoldenItemSpec(id=f"i{index}", prompt="p", seed=index, size="64x64"), 64, 64, b"")  # fmt: skip
        stable = ModelResult(GenerationResult(b"png", BASE_MS, 1, status=200))
        candidate = ModelResult(GenerationResult(b"png", candidate_ms, 1, status=200))
        results.append(ItemResult(item, stable, candidate))
    return results


def test_within_the_multiple_of_the_spread_passes_and_beyond_it_fails() -> None:
    within = judge(_gates(), _results(BASE_MS + 50), CALIBRATION, "alex").gates[0]
    assert within.name == "latency.p50.noiseFloor"
    assert within.verdict == "Pass", within.reason
    assert within.reason == (
        "latency.p50.noiseFloor: candidate p50 250 ms vs stable 200 ms <= 260 ms "
        "(stable + 3 x calibrated spread 20 ms)"
    )
    assert within.threshold == "p50 <= stable + max(3 x calibrated spread 20 ms, 0 ms) = 260 ms"
    beyond = judge(_gates(), _results(BASE_MS + 70), CALIBRATION, "alex").gates[0]
    assert beyond.verdict == "Fail", beyond.reason
    assert "270 ms vs stable 200 ms > 260 ms" in beyond.reason


def test_min_difference_is_a_floor_under_a_tight_spread() -> None:
    gates = _gates(minDifferenceMs=100)
    verdict = judge(gates, _results(BASE_MS + 90), CALIBRATION, "alex").gates[0]
    assert verdict.verdict == "Pass", verdict.reason
    assert verdict.limit == BASE_MS + 100
    assert verdict.reason.endswith(
        "<= 300 ms (stable + 3 x calibrated spread 20 ms, at least +100 ms)"
    )


def test_an_uncalibrated_set_or_a_missing_percentile_is_inconclusive() -> None:
    uncalibrated = judge(_gates(), _results(BASE_MS), None, "alex").gates[0]
    assert uncalibrated.verdict == "Inconclusive"
    assert (
        "uncalibrated" in uncalibrated.reason
        and "pixelproof golden calibrate" in uncalibrated.reason
    )
    gates = _gates(comparePercentiles=[99])
    missing = judge(gates, _results(BASE_MS), CALIBRATION, "alex").gates[0]
    assert missing.verdict == "Inconclusive"
    assert "records no p99 latency spread" in missing.reason


def test_a_slow_candidate_fails_against_a_spread_calibrated_from_stable(
    tmp_path: Path, models: Models
) -> None:
    folder = tiny_golden(tmp_path / "golden", 12, 32)
    gates = _gates(minDifferenceMs=100)
    with RefGenServer(0) as stable:
        assert not capture(folder, stable.url, CONTRACT).failed
        calibration = calibrate(folder, stable.url, CONTRACT, runs=3)
        assert "p50" in calibration.latency_spread_ms
        with RefGenServer(0, Faults(latency_ms=600)) as candidate:
            summary = evaluate_on(
                folder, stable.url, candidate.url, gates, tmp_path / "out", models
            )
    verdict = summary.gates[0]
    assert verdict.name == "latency.p50.noiseFloor"
    assert verdict.verdict == "Fail", verdict.reason
    assert "x calibrated spread" in verdict.reason
