"""The image-to-image gates written relative to the noise floor: calibration records the
stable model's own preservation error and colour distance from the input per item, and the
gates hold a candidate to a multiple of them. A good candidate drifting as stable does
passes; a mask bleed and a colour-space mix-up fail, each in its own gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from img2img_support import write_img2img_golden

from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.calibrate import calibrate
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.client import RetryPolicy
from pixelproof_evaluator.evaluate import Models
from pixelproof_refgen import Faults, RefGenServer

DRIFT = 0.3
GATES: dict[str, Any] = {
    "preservation": {"maxNoiseMultiple": 3},
    "inputColor": {"maxNoiseMultiple": 3},
}


@pytest.fixture(scope="module")
def calibrated_golden(tmp_path_factory: pytest.TempPathFactory, models: Models) -> Path:
    folder = tmp_path_factory.mktemp("img2img-calibrated")
    write_img2img_golden(folder, robustness=False)
    contract = GeneratorContract(timeout_seconds=30)
    with RefGenServer(0, Faults(drift=DRIFT, fault_seed=7)) as stable:
        assert not capture(folder, stable.url, contract).failed
        calibration = calibrate(
            folder,
            stable.url,
            contract,
            runs=2,
            scorer=models.scorer,
            retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02),
        )
    floors = calibration.items
    assert floors["inpaint-wide"].preservation is not None
    assert floors["inpaint-wide"].preservation > 0
    assert floors["up-wide"].input_delta_e is not None
    assert floors["edit-square"].input_delta_e is None, "an edit may recolour its input"
    return folder


@pytest.mark.parametrize(
    ("faults", "failing"),
    [
        ({"drift": DRIFT, "fault_seed": 3}, None),
        ({"mask_bleed": 0.3}, "preservation.noiseFloor"),
        ({"colorspace_drift": True}, "inputColor.noiseFloor"),
    ],
)
def test_noise_floor_gates(
    start_refgen: Callable[..., RefGenServer],
    run_evaluation: Callable[..., Any],
    gate_of: Callable[[Any, str], Any],
    calibrated_golden: Path,
    faults: dict[str, Any],
    failing: str | None,
) -> None:
    stable = start_refgen(drift=DRIFT, fault_seed=11)
    candidate = start_refgen(**faults)
    summary = run_evaluation(stable.url, candidate.url, gates=GATES, golden=calibrated_golden)
    if failing is None:
        assert summary.verdict == "Pass", summary.reason
        return
    assert gate_of(summary, failing).verdict == "Fail", summary.reason
    assert failing in summary.reason
