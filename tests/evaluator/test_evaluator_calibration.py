"""Gates relative to the golden set's noise floor, measured from the stable model itself:
they catch a subtle colour cast and a mild blur and pass harmless differences, across seeds;
without a calibration, or with one from another backbone, they are Inconclusive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from calibration_support import STABLE_DRIFT, golden_items, results
from small_sets import CONTRACT, evaluate_on, tiny_golden

from pixelproof.api.quality import QualityGates
from pixelproof_evaluator.calibrate import calibrate
from pixelproof_evaluator.calibration import CALIBRATION_FILE, from_runs, read_calibration
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.judge import judge
from pixelproof_refgen import Faults, RefGenServer

# The values docs/quality-gates.md recommends, measured with this sweep.
CALIBRATED = QualityGates.model_validate(
    {"color": {"maxNoiseMultiple": 1.7}, "sharpness": {"maxNoiseMultiple": 2.5}}
)
SEEDS = range(10)
AA_RUNS = 3
DRIFT = {"drift": STABLE_DRIFT}
HARMLESS = {
    "other antialiasing": {"antialias": 0.3, **DRIFT},
    "1 % brighter": {"brightness": 0.01, **DRIFT},
    "sub-pixel shift": {"subpixel_shift": 0.3, **DRIFT},
}
FAULTS = {
    "subtle colour shift": ({"color_shift": 0.05, **DRIFT}, "color.noiseFloor"),
    "mild blur": ({"blur": 0.8, **DRIFT}, "sharpness.noiseFloor"),
}


def _sweep() -> dict[str, list[dict[str, str]]]:
    """Each candidate's verdict per gate, for every seed."""
    verdicts: dict[str, list[dict[str, str]]] = {}
    candidates = {**HARMLESS, **{name: faults for name, (faults, _) in FAULTS.items()}}
    for seed in SEEDS:
        items = golden_items(seed)
        calibration = from_runs([results(items, DRIFT, run) for run in range(AA_RUNS)], "alex")
        for name, faults in candidates.items():
            judgement = judge(CALIBRATED, results(items, faults, 99), calibration, "alex")
            verdicts.setdefault(name, []).append({g.name: g.verdict for g in judgement.gates})
    return verdicts


@pytest.fixture(scope="module")
def sweep() -> dict[str, list[dict[str, str]]]:
    return _sweep()


@pytest.mark.parametrize("name", HARMLESS)
def test_harmless_differences_pass_calibrated_gates_at_every_seed(
    sweep: dict[str, list[dict[str, str]]], name: str
) -> None:
    runs = sweep[name]
    assert len(runs) == len(SEEDS)
    failed = [(seed, v) for seed, v in zip(SEEDS, runs, strict=True) if "Fail" in v.values()]
    assert not failed, failed
    assert all(set(v.values()) == {"Pass"} for v in runs)


@pytest.mark.parametrize("name", FAULTS)
def test_subtle_faults_fail_their_calibrated_gate_at_every_seed(
    sweep: dict[str, list[dict[str, str]]], name: str
) -> None:
    gate = FAULTS[name][1]
    assert [v[gate] for v in sweep[name]] == ["Fail"] * len(SEEDS)


def test_noise_floor_gates_without_calibration_say_the_set_is_uncalibrated() -> None:
    items = golden_items(0)
    gates = QualityGates.model_validate({"lpips": {"maxNoiseMultiple": 3}})
    verdict = judge(gates, results(items, DRIFT, 0)).gates[0]
    assert verdict.verdict == "Inconclusive"
    assert "uncalibrated" in verdict.reason and "pixelproof golden calibrate" in verdict.reason


def test_a_calibration_from_another_backbone_is_inconclusive_naming_both() -> None:
    items = golden_items(0)
    calibration = from_runs([results(items, DRIFT, run) for run in range(2)], "alex-random")
    gates = QualityGates.model_validate(
        {"lpips": {"maxNoiseMultiple": 3}, "color": {"maxNoiseMultiple": 1.7}}
    )
    by_name = {g.name: g for g in judge(gates, results(items, DRIFT, 5), calibration, "alex").gates}
    lpips = by_name["lpips.noiseFloor"]
    assert lpips.verdict == "Inconclusive"
    assert "alex-random" in lpips.reason and "with alex" in lpips.reason
    # Colour difference does not depend on the LPIPS backbone.
    assert by_name["color.noiseFloor"].verdict == "Pass"


def test_calibrated_gates_state_value_beside_floor() -> None:
    items = golden_items(1)
    calibration = from_runs([results(items, DRIFT, run) for run in range(2)], "alex")
    verdict = judge(CALIBRATED, results(items, DRIFT, 7), calibration, "alex").gates[0]
    assert verdict.name == "color.noiseFloor"
    assert "x noise floor" in verdict.reason and "over 5 items" in verdict.reason
    assert verdict.threshold is not None and "1.7 x noise floor" in verdict.threshold


def test_calibrate_through_the_generator_api_then_judge_a_blur(
    tmp_path: Path, models: Models
) -> None:
    folder = tiny_golden(tmp_path / "golden", 3, 64, prefix="scene")
    with RefGenServer(0, Faults(drift=STABLE_DRIFT)) as stable:
        assert not capture(folder, stable.url, CONTRACT).failed
        written = calibrate(folder, stable.url, CONTRACT, runs=2, scorer=models.scorer)
        assert (folder / CALIBRATION_FILE).is_file()
        assert read_calibration(folder) == written
        assert written.backbone == models.scorer.backbone and written.runs == 2
        assert set(written.items) == {f"scene-{i}" for i in range(3)}
        assert set(written.latency_spread_ms) == {"p50", "p95", "p99"}
        with RefGenServer(0, Faults(blur=1.5, drift=STABLE_DRIFT)) as candidate:
            summary = evaluate_on(
                folder, stable.url, candidate.url, CALIBRATED, tmp_path / "report", models
            )
    verdicts: dict[str, Any] = {g.name: g.verdict for g in summary.gates}
    assert verdicts["sharpness.noiseFloor"] == "Fail", summary.reason
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "calibrated over 2 A/A runs" in html
    assert "(floor " in html
