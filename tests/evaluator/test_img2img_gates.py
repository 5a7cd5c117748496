"""Image-to-image gates end to end against real reference generators and real LPIPS: every
image-to-image fault knob is caught by the gate made for it, with the item named, and a good
candidate (harmless drift of its own) passes across several seeds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from img2img_support import GATES, write_img2img_golden

from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.capture import capture
from pixelproof_refgen import RefGenServer

STABLE_DRIFT = 0.3


@pytest.fixture(scope="session")
def img2img_golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("img2img-golden")
    write_img2img_golden(folder)
    with RefGenServer(0) as stable:
        result = capture(folder, stable.url, GeneratorContract(timeout_seconds=30))
    assert not result.failed, result.failed
    return folder


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_good_candidate_passes_across_seeds(
    start_refgen: Callable[..., RefGenServer],
    run_evaluation: Callable[..., Any],
    img2img_golden: Path,
    seed: int,
) -> None:
    stable = start_refgen(drift=STABLE_DRIFT, fault_seed=100 + seed)
    candidate = start_refgen(drift=STABLE_DRIFT, fault_seed=seed)
    summary = run_evaluation(stable.url, candidate.url, gates=GATES, golden=img2img_golden)
    assert summary.verdict == "Pass", summary.reason


# (knob, the gate that must catch it, the item its reason must name, tags evaluated)
KNOBS: list[tuple[dict[str, Any], str, str, list[str]]] = [
    ({"wrong_scale": 3.0}, "outputSize", "up-wide", ["upscale"]),
    ({"mask_bleed": 0.3}, "preservation", "inpaint-", ["inpaint"]),
    ({"colorspace_drift": True}, "inputColor", "up-", ["upscale"]),
    ({"ignore_exif": True}, "outputSize", "up-wide--exif-rotated", ["robustness-exif-rotated"]),
    ({"drop_alpha": True}, "format.alpha", "up-wide--alpha", ["robustness-alpha"]),
    ({"fail_unusual_modes": True}, "robustness.failures", "up-wide--", ["robustness"]),
    ({"max_input_pixels": 20_000}, "robustness.failures", "up-square--large", ["robustness"]),
]


@pytest.mark.parametrize(
    ("faults", "gate", "item", "tags"), KNOBS, ids=[next(iter(k[0])) for k in KNOBS]
)
def test_each_knob_is_caught_by_its_gate(
    start_refgen: Callable[..., RefGenServer],
    run_evaluation: Callable[..., Any],
    gate_of: Callable[[Any, str], Any],
    img2img_golden: Path,
    faults: dict[str, Any],
    gate: str,
    item: str,
    tags: list[str],
) -> None:
    stable = start_refgen(drift=STABLE_DRIFT)
    candidate = start_refgen(**faults)
    summary = run_evaluation(
        stable.url, candidate.url, gates=GATES, tags=tags, golden=img2img_golden
    )
    assert summary.verdict == "Fail", summary.reason
    caught = gate_of(summary, gate)
    assert caught.verdict == "Fail", caught.reason
    assert caught.reason.startswith(gate), caught.reason
    assert item in caught.reason, caught.reason
