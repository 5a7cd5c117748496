"""Every quality gate's check, in the order their verdicts are reported. Adding a gate is a
field on QualityGates, a module here with a `judge(gate, evidence)`, and one line below."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import (
    classifier,
    color,
    determinism,
    divergence,
    failure_rate,
    format,
    input_color,
    latency,
    lpips,
    output_size,
    preservation,
    robustness,
    sharpness,
    ssim,
    typography,
    versus_stable,
)
from .evidence import Evidence
from .gate import GateResult


@dataclass(frozen=True)
class Check:
    field: str
    """The QualityGates field that configures the check; unset, the check does not run."""
    judge: Callable[[Any, Evidence], GateResult]


CHECKS: tuple[Check, ...] = (
    Check("failure_rate", failure_rate.judge),
    Check("format", format.judge),
    Check("lpips", lpips.judge),
    Check("typography", typography.judge),
    Check("determinism", determinism.judge),
    Check("color", color.judge),
    Check("sharpness", sharpness.judge),
    Check("latency", latency.judge),
    Check("versus_stable", versus_stable.judge),
    Check("ssim", ssim.judge),
    Check("classifier", classifier.judge),
    Check("divergence", divergence.judge),
    Check("output_size", output_size.judge),
    Check("preservation", preservation.judge),
    Check("input_color", input_color.judge),
    Check("robustness", robustness.judge),
)
