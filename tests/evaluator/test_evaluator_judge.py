"""The judge's statistics and verdict rules on per-item scores."""

from __future__ import annotations

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import QualityGates
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import Judge, overall, paired_regression
from pixelproof_evaluator.results import ItemResult, ModelResult


def _results(stable: list[float], candidate: list[float | None]) -> list[ItemResult]:
    out = []
    for index, (s, c) in enumerate(zip(stable, candidate, strict=True)):
        item = GoldenItem(
            GoldenItemSpec(id=f"i{index}", prompt="p", seed=index, size="64x64"), 64, 64, b""
        )
        ok = GenerationResult(b"", 100.0, 1)
        failed = GenerationResult(None, None, 3, "connection", None, "refused")
        out.append(
            ItemResult(
                item,
                ModelResult(ok, lpips=s),
                ModelResult(ok if c is not None else failed, lpips=c),
            )
        )
    return out


def test_clear_regression_is_significant() -> None:
    median, p = paired_regression([0.2, 0.25, 0.3, 0.22, 0.28, 0.26, 0.21, 0.24], margin=0.05)
    assert median > 0.05 and p < 0.01


def test_noise_around_zero_is_not_a_regression() -> None:
    rng = np.random.default_rng(1)
    _median, p = paired_regression(list(rng.normal(0, 0.01, 20)), margin=0.05)
    assert p > 0.5


def test_versus_stable_needs_enough_items() -> None:
    gates = QualityGates.model_validate({"versusStable": {"maxRegression": 0.05, "minItems": 6}})
    judgement = Judge(gates, _results([0.1] * 4, [0.9] * 4)).judge()
    assert judgement.verdict == "inconclusive"
    assert "only 4 paired items, need minItems 6" in judgement.reason


def test_missing_candidate_outputs_count_as_maximally_worse() -> None:
    gates = QualityGates.model_validate({"versusStable": {"maxRegression": 0.05}})
    judgement = Judge(gates, _results([0.1] * 8, [None] * 8)).judge()
    assert judgement.verdict == "fail"
    assert judgement.gates[0].name == "versusStable"


def test_equal_models_pass() -> None:
    gates = QualityGates.model_validate(
        {"versusStable": {"maxRegression": 0.05}, "lpips": {"maxMean": 0.3}}
    )
    judgement = Judge(gates, _results([0.1] * 8, [0.1] * 8)).judge()
    assert judgement.verdict == "pass", judgement.reason


def test_overall_precedence() -> None:
    def v(verdict: str) -> GateVerdict:
        return GateVerdict(name=verdict, verdict=verdict, reason=f"{verdict} reason")  # type: ignore[arg-type]

    assert overall([v("pass"), v("inconclusive"), v("fail")]) == ("fail", "fail reason")
    assert overall([v("pass"), v("inconclusive")]) == ("inconclusive", "inconclusive reason")
    assert overall([v("pass")])[0] == "pass"
    assert overall([])[0] == "inconclusive"
