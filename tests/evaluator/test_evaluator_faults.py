"""Every failure of the catalog the evaluator owns is caught by the gate named for it, and a
good candidate passes: real reference generators, real LPIPS, real OCR, real PNG decoding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from evaluator_support import GATES, TYPOGRAPHY_GATES

TEXT_GATES = {**GATES, **TYPOGRAPHY_GATES, "versusStable": None}


@pytest.mark.parametrize(
    ("fault", "failed_gate"),
    [
        pytest.param({"drop_alpha": True}, "format.alpha", id="F1-alpha-dropped"),
        pytest.param({"stretch": 1.25}, "format.size", id="F3-stretched"),
        pytest.param({"color_shift": 0.3}, "color", id="F4-colour-shift"),
        pytest.param({"blur": 1.5}, "sharpness", id="F5-blur"),
        pytest.param({"nondeterminism": 1.0}, "determinism", id="F6-seed-replay"),
        pytest.param({"error_rate": 1.0}, "failureRate", id="F8-502s"),
        pytest.param({"corrupt_png": 1.0}, "failureRate", id="F8-invalid-png-header"),
    ],
)
def test_image_fault_is_caught_by_its_gate(
    start_refgen: Any, run_evaluation: Any, gate_of: Any, fault: dict[str, Any], failed_gate: str
) -> None:
    stable = start_refgen()
    candidate = start_refgen(**fault)
    summary = run_evaluation(stable.url, candidate.url)
    assert summary.verdict == "Fail"
    verdict = gate_of(summary, failed_gate)
    assert verdict.verdict == "Fail", verdict.reason
    assert failed_gate in summary.reason


def test_colour_shift_and_blur_also_move_lpips(
    start_refgen: Any, run_evaluation: Any, gate_of: Any
) -> None:
    stable = start_refgen()
    candidate = start_refgen(color_shift=0.3, blur=1.0)
    summary = run_evaluation(stable.url, candidate.url)
    assert gate_of(summary, "lpips").verdict == "Fail"
    assert gate_of(summary, "versusStable").verdict == "Fail"


@pytest.mark.parametrize(
    ("fault", "tags"),
    [
        pytest.param({"garble_small_text": 30}, ["text"], id="F2-garbled-small-text"),
        pytest.param({"off_template": True}, ["template"], id="F11-brand-tokens-dropped"),
    ],
)
def test_broken_text_fails_typography(
    start_refgen: Any, run_evaluation: Any, gate_of: Any, fault: dict[str, Any], tags: list[str]
) -> None:
    stable = start_refgen()
    candidate = start_refgen(**fault)
    summary = run_evaluation(stable.url, candidate.url, gates=TEXT_GATES, tags=tags)
    typography = gate_of(summary, "typography")
    assert typography.verdict == "Fail", typography.reason
    assert summary.verdict == "Fail"


def test_garbled_small_text_is_reported_per_font_size(
    start_refgen: Any, run_evaluation: Any
) -> None:
    stable = start_refgen()
    candidate = start_refgen(garble_small_text=20)
    summary = run_evaluation(stable.url, candidate.url, gates=TEXT_GATES, tags=["text"])
    assert summary.scores["typographyPassRate.16px"] < 0.5
    assert summary.scores["typographyPassRate.24px"] == 1.0


def test_adversarial_prompts_fail_paired_comparison(
    start_refgen: Any, adversarial_proxy: Any, run_evaluation: Any, gate_of: Any
) -> None:
    """F10: the candidate matches stable on curated prompts and composes the uncurated
    ones differently; the paired comparison names the adversarial group."""
    stable = start_refgen()
    candidate = adversarial_proxy(start_refgen().url)
    gates = {"versusStable": {"maxRegression": 0.005, "minItems": 6}}
    summary = run_evaluation(stable.url, candidate.url, gates=gates)
    versus = gate_of(summary, "versusStable")
    assert versus.verdict == "Fail", versus.reason
    assert "adversarial" in versus.reason
    assert summary.scores["lpipsMean.adversarial"] > summary.scores["lpipsMean.curated"]


def test_hanging_generator_times_out_per_item_without_retry_storm(
    start_refgen: Any, run_evaluation: Any, gate_of: Any, tmp_path: Any
) -> None:
    """F12: a generator that never answers costs one timeout per request, no retries."""
    stable = start_refgen()
    candidate = start_refgen(hang=1.0)
    summary = run_evaluation(stable.url, candidate.url, tags=["alpha", "template"], timeout=1.0)
    failure = gate_of(summary, "failureRate")
    assert failure.verdict == "Fail"
    assert "timeout: 3" in failure.reason
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    clients = report["clients"]["candidate"]
    assert clients["attempts"] == clients["requests"] == 3
    assert all(item["candidate"]["failure"] == "timeout" for item in report["items"])


@pytest.mark.parametrize("fault_seed", [1, 2, 3])
def test_good_candidate_passes(start_refgen: Any, run_evaluation: Any, fault_seed: int) -> None:
    """A good model drifts a little between runs (as across GPUs): it must still pass."""
    stable = start_refgen(replay_noise=1.0, fault_seed=fault_seed + 100)
    candidate = start_refgen(replay_noise=1.0, fault_seed=fault_seed)
    summary = run_evaluation(stable.url, candidate.url)
    assert summary.verdict == "Pass", summary.reason
    assert summary.failed_items == []


def test_good_candidate_passes_typography(start_refgen: Any, run_evaluation: Any) -> None:
    stable = start_refgen()
    candidate = start_refgen(replay_noise=1.0)
    summary = run_evaluation(stable.url, candidate.url, gates=TEXT_GATES, tags=["text"])
    assert summary.verdict == "Pass", summary.reason


def test_stable_outage_is_inconclusive_not_a_candidate_failure(
    start_refgen: Any, run_evaluation: Any, gate_of: Any
) -> None:
    stable = start_refgen(error_rate=1.0)
    candidate = start_refgen(error_rate=1.0)
    gates = {"failureRate": {"max": 0.02}, "versusStable": {"maxRegression": 0.005}}
    summary = run_evaluation(stable.url, candidate.url, gates=gates, tags=["alpha"])
    assert summary.verdict == "Inconclusive", summary.reason
    assert gate_of(summary, "stable").verdict == "Inconclusive"
    assert gate_of(summary, "failureRate").verdict == "Inconclusive"
