"""The judge's statistics and verdict rules on per-item scores."""

from __future__ import annotations

import importlib

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import QualityGates
from pixelproof.api.verdicts import FinalVerdict
from pixelproof_evaluator.checks.gate import compare
from pixelproof_evaluator.checks.registry import CHECKS
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import judge, overall
from pixelproof_evaluator.results import ItemResult, ModelResult
from pixelproof_evaluator.stats.paired import compare_groups, paired_regression


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
    judgement = judge(gates, _results([0.1] * 4, [0.9] * 4))
    assert judgement.verdict == "Inconclusive"
    assert "only 4 paired items, need minItems 6" in judgement.reason


def test_missing_candidate_outputs_count_as_maximally_worse() -> None:
    gates = QualityGates.model_validate({"versusStable": {"maxRegression": 0.05}})
    judgement = judge(gates, _results([0.1] * 8, [None] * 8))
    assert judgement.verdict == "Fail"
    assert judgement.gates[0].name == "versusStable"


def test_equal_models_pass() -> None:
    gates = QualityGates.model_validate(
        {"versusStable": {"maxRegression": 0.05}, "lpips": {"maxMean": 0.3}}
    )
    judgement = judge(gates, _results([0.1] * 8, [0.1] * 8))
    assert judgement.verdict == "Pass", judgement.reason


def test_overall_precedence() -> None:
    def v(verdict: FinalVerdict) -> GateVerdict:
        return GateVerdict(name=verdict, verdict=verdict, reason=f"{verdict} reason")

    assert overall([v("Pass"), v("Inconclusive"), v("Fail")]) == ("Fail", "Fail reason")
    assert overall([v("Pass"), v("Inconclusive")]) == ("Inconclusive", "Inconclusive reason")
    assert overall([v("Pass")])[0] == "Pass"
    assert overall([])[0] == "Inconclusive"


def test_every_quality_gate_has_a_check_module_named_for_it() -> None:
    fields = [check.field for check in CHECKS]
    assert sorted(fields) == sorted(QualityGates.model_fields)
    assert len(set(fields)) == len(fields)
    for check in CHECKS:
        module = importlib.import_module(f"pixelproof_evaluator.checks.{check.field}")
        assert check.judge is module.judge, check.field


def test_an_unconfigured_gate_gives_no_verdict_and_each_gate_its_own_scores() -> None:
    results = _results([0.1] * 8, [0.1] * 8)
    assert judge(QualityGates(), results).gates == []
    gates = QualityGates.model_validate({"versusStable": {"maxRegression": 0.05}})
    judgement = judge(gates, results)
    assert [g.name for g in judgement.gates] == ["versusStable"]
    assert {"versusStableMedianDelta", "versusStablePValue", "lpipsMean"} <= set(judgement.scores)
    assert "deltaEMean" not in judgement.scores


def test_bound_comparison_words_the_side_the_value_fell_on() -> None:
    within = compare("g", 0.2, "<=", 0.25, threshold="<= 0.25", measured="g 0.2", bound="max 0.25")
    assert (within.verdict, within.reason, within.value) == ("Pass", "g 0.2 <= max 0.25", 0.2)
    over = compare("g", 0.3, "<=", 0.25, threshold="<= 0.25", measured="g 0.3", bound="max")
    assert (over.verdict, over.reason) == ("Fail", "g 0.3 > max")
    under = compare("g", 0.4, ">=", 0.5, threshold=">= 0.5", measured="g", bound="min")
    assert (under.verdict, under.reason) == ("Fail", "g < min")
    excused = compare(
        "g", 0.4, ">=", 0.5, threshold=">= 0.5", measured="g", bound="min", breach="Inconclusive"
    )
    assert excused.verdict == "Inconclusive"
    assert (
        compare("g", 0.5, ">=", 0.5, threshold="", measured="g", bound="min").reason == "g >= min"
    )


def test_bonferroni_tests_each_group_at_a_share_of_the_significance() -> None:
    worse = [0.2, 0.25, 0.3, 0.22, 0.28, 0.26, 0.21, 0.24]
    same = [0.001, -0.002, 0.0, 0.003, -0.001, 0.002, -0.003, 0.001]
    comparison = compare_groups({"all items": same, "tag a": worse}, 0.05, 0.05)
    assert comparison.alpha == 0.025
    assert [g.label for g in comparison.groups] == ["all items", "tag a"]
    worst = comparison.worst(0.05)
    assert worst is not None and worst.label == "tag a"
    assert compare_groups({"all items": same}, 0.05, 0.05).worst(0.05) is None


def test_a_dry_run_gate_is_judged_and_reported_but_never_fails_the_evaluation() -> None:
    results = _results([0.1] * 8, [0.6] * 8)
    enforced = judge(QualityGates.model_validate({"lpips": {"maxMean": 0.3}}), results)
    assert enforced.verdict == "Fail"
    gates = QualityGates.model_validate(
        {"lpips": {"maxMean": 0.3, "dryRun": True}, "versusStable": {"maxRegression": 0.9}}
    )
    judgement = judge(gates, results)
    assert judgement.verdict == "Pass", judgement.reason
    lpips = next(g for g in judgement.gates if g.name == "lpips")
    assert (lpips.verdict, lpips.dry_run) == ("Fail", True)
    assert "dry run, not enforced: lpips Fail" in judgement.reason
    assert all(g.dry_run is None for g in judgement.gates if g.name != "lpips")


def test_dry_run_verdicts_never_decide_the_overall_verdict() -> None:
    def v(verdict: FinalVerdict, dry_run: bool | None = None) -> GateVerdict:
        return GateVerdict(
            name=verdict, verdict=verdict, reason=f"{verdict} reason", dry_run=dry_run
        )

    assert overall([v("Pass"), v("Fail", True)])[0] == "Pass"
    assert overall([v("Pass"), v("Inconclusive", True)])[0] == "Pass"
    assert overall([v("Inconclusive"), v("Fail", True)])[0] == "Inconclusive"
    assert overall([v("Fail"), v("Fail", True)]) == (
        "Fail",
        "Fail reason; dry run, not enforced: Fail Fail: Fail reason",
    )
    assert overall([v("Fail", True)]) == (
        "Pass",
        "only dry-run gates are configured; dry run, not enforced: Fail Fail: Fail reason",
    )
