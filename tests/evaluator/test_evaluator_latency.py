"""Latency over every request of each model, p50, p95 and p99 against stable, a regression
counting only beyond minDifferenceMs: a slow tail is caught, a steady candidate passes."""

from __future__ import annotations

from pathlib import Path

from small_sets import CONTRACT, evaluate_on, tiny_golden

from pixelproof.api.quality import QualityGates
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import judge
from pixelproof_evaluator.results import ItemResult, ModelResult
from pixelproof_refgen import Faults, RefGenServer

GATES = {"latency": {"maxRegression": 0.1, "minDifferenceMs": 60}}
BASE_MS = 200.0


def _ok(ms: float) -> GenerationResult:
    return GenerationResult(b"png", ms, 1, status=200)


def test_replays_count_and_every_compared_percentile_is_judged() -> None:
    results = []
    for index in range(20):
        spec = GoldenItemSpec(id=f"i{index}", prompt="p", seed=index, size="64x64")
        item = GoldenItem(spec, 64, 64, b"")
        # Only the replays of the candidate are slow: a first-request-only gate misses them.
        results.append(
            ItemResult(
                item,
                ModelResult(_ok(BASE_MS), replay=_ok(BASE_MS)),
                ModelResult(_ok(BASE_MS), replay=_ok(BASE_MS + (400 if index < 3 else 0))),
            )
        )
    judgement = judge(QualityGates.model_validate(GATES), results)
    verdicts = {g.name: g for g in judgement.gates}
    assert [*verdicts] == [
        "latency.p50.regression",
        "latency.p95.regression",
        "latency.p99.regression",
    ]
    assert verdicts["latency.p50.regression"].verdict == "Pass"
    assert verdicts["latency.p95.regression"].verdict == "Fail"
    assert "over 40 requests" in verdicts["latency.p95.regression"].reason
    assert judgement.scores["latencyP99Ms"] > judgement.scores["stableLatencyP99Ms"]


def test_a_small_absolute_difference_is_not_a_regression() -> None:
    spec = GoldenItemSpec(id="i", prompt="p", seed=1, size="64x64")
    item = GoldenItem(spec, 64, 64, b"")
    results = [ItemResult(item, ModelResult(_ok(20.0)), ModelResult(_ok(40.0)))]
    gates = QualityGates.model_validate(
        {"latency": {"maxRegression": 0.1, "minDifferenceMs": 50, "comparePercentiles": [50]}}
    )
    verdict = judge(gates, results).gates[0]
    assert verdict.verdict == "Pass"
    assert verdict.reason.endswith("<= 70 ms (stable +10.0% and +50 ms)")


def test_a_slow_tail_is_caught_by_p95_and_a_steady_candidate_passes(
    tmp_path: Path, models: Models
) -> None:
    golden = tiny_golden(tmp_path / "golden", 100, 32)
    gates = QualityGates.model_validate(GATES)
    summaries = {}
    with RefGenServer(0, Faults(latency_ms=BASE_MS)) as stable:
        assert not capture(golden, stable.url, CONTRACT).failed
        for name, faults in (
            ("steady", Faults(latency_ms=BASE_MS)),
            ("tail", Faults(latency_ms=BASE_MS, tail_latency_ms=220, tail_rate=0.1, fault_seed=3)),
        ):
            with RefGenServer(0, faults) as candidate:
                summaries[name] = evaluate_on(
                    golden, stable.url, candidate.url, gates, tmp_path / name, models, concurrency=2
                )
    steady = {g.name: g for g in summaries["steady"].gates}
    tail = {g.name: g for g in summaries["tail"].gates}
    assert all(g.verdict == "Pass" for g in steady.values()), [g.reason for g in steady.values()]
    assert tail["latency.p95.regression"].verdict == "Fail", tail["latency.p95.regression"].reason
    assert tail["latency.p50.regression"].verdict == "Pass"
