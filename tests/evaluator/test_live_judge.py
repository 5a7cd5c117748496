"""Live judging on replayed real prompts, paired per prompt against stable's own output:
a candidate whose fault only real prompts trigger passes the golden set and fails live with
the gate named; a good candidate passes; an infrastructure-only drift passes divergence and
a real change fails it; too few usable prompts is Inconclusive, never a pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluator_support import GATES
from live_support import LIVE_GATES, evaluate_live

from pixelproof_evaluator.evaluate import Models

TRIGGER = "ANNIVERSARY"


def test_a_fault_only_real_prompts_trigger_passes_golden_and_fails_live(
    models: Models,
    start_refgen: Callable[..., Any],
    run_evaluation: Callable[..., Any],
    golden_dir: Path,
    gate_of: Callable[[Any, str], Any],
    tmp_path: Path,
) -> None:
    stable = start_refgen()
    candidate = start_refgen(fault_trigger=TRIGGER, error_rate=1.0, drop_alpha=True)
    gates = {**GATES, "divergence": LIVE_GATES["divergence"]}
    golden = run_evaluation(stable.url, candidate.url, gates=gates)
    assert golden.verdict == "Pass", golden.reason
    assert gate_of(golden, "divergence").verdict == "Pass"
    both = evaluate_live(
        models, tmp_path / "live", stable.url, candidate.url, gates=gates, golden=golden_dir
    )
    assert both.verdict == "Fail", both.reason
    failure = gate_of(both, "live.failureRate")
    assert failure.verdict == "Fail"
    assert "3 of 13 candidate requests failed (http-status: 3)" in failure.reason
    assert "live.failureRate" in both.reason
    assert gate_of(both, "live.prompts").value == 8
    # The golden half of the same evaluation still passes every gate.
    golden_gates = [g for g in both.gates if not g.name.startswith("live.")]
    assert {g.name for g in golden_gates} == {g.name for g in golden.gates}
    assert all(g.verdict == "Pass" for g in golden_gates), [g.reason for g in golden_gates]
    assert both.items == golden.items + 8


def test_a_good_candidate_passes_live(
    models: Models, start_refgen: Callable[..., Any], tmp_path: Path
) -> None:
    stable, candidate = start_refgen(), start_refgen()
    summary = evaluate_live(models, tmp_path, stable.url, candidate.url)
    assert summary.verdict == "Pass", summary.reason
    names = {g.name for g in summary.gates}
    assert {"live.prompts", "live.failureRate", "live.divergence", "live.color"} <= names
    # Gates that need a reference image are not judged on live prompts.
    assert not any(n.startswith(("live.lpips", "live.versusStable")) for n in names)


def test_drift_passes_divergence_and_a_real_change_fails_it(
    models: Models,
    start_refgen: Callable[..., Any],
    gate_of: Callable[[Any, str], Any],
    tmp_path: Path,
) -> None:
    gates = {"divergence": LIVE_GATES["divergence"]}
    stable = start_refgen(drift=0.5)
    same_model_other_gpu = start_refgen(drift=0.5, fault_seed=7)
    drift = evaluate_live(models, tmp_path / "a", stable.url, same_model_other_gpu.url, gates=gates)
    assert drift.verdict == "Pass", drift.reason
    assert gate_of(drift, "live.divergence.noiseFloor").verdict == "Pass"
    # Plainly a change next to this much drift: at a shift of 0.15 the divergence (0.019 to
    # 0.022 over eight prompts) sat within reach of three times stable's replay distance,
    # which drift 0.5 spreads from 0.002 to 0.0063 with the order requests arrive in.
    changed = start_refgen(color_shift=0.3)
    real = evaluate_live(models, tmp_path / "b", stable.url, changed.url, gates=gates)
    assert real.verdict == "Fail", real.reason
    verdict = gate_of(real, "live.divergence.noiseFloor")
    assert verdict.verdict == "Fail"
    assert "stable replay distance" in verdict.reason


def test_too_few_usable_prompts_is_inconclusive_with_the_count(
    models: Models,
    start_refgen: Callable[..., Any],
    gate_of: Callable[[Any, str], Any],
    tmp_path: Path,
) -> None:
    # Stable itself cannot serve the anniversary prompts: those say nothing of the candidate.
    stable = start_refgen(fault_trigger=TRIGGER, error_rate=1.0)
    candidate = start_refgen(fault_trigger=TRIGGER, error_rate=1.0)
    summary = evaluate_live(models, tmp_path, stable.url, candidate.url, min_count=6)
    assert summary.verdict == "Inconclusive", summary.reason
    count = gate_of(summary, "live.prompts")
    assert count.value == 5
    assert "only 5 usable prompts (stable served 5 of 8), need liveMinCount 6" in summary.reason
    assert [g.name for g in summary.gates] == ["live.prompts"]
