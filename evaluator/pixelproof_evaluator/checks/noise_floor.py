"""A gate written relative to the golden set's calibrated noise floor: the candidate's value,
aggregated over items, against a multiple of the same aggregate of the items' floors.

Without a calibration, or with one measured under another LPIPS backbone than this run's
(for the metrics LPIPS measures), the floor says nothing about this run and the gate is
Inconclusive saying so."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.evaluation import GateVerdict

from .gate import compare, fmt, no_data

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence

LPIPS_METRICS = ("lpips", "replay_distance")
CALIBRATE_HINT = "calibrate the golden set with `pixelproof golden calibrate`"


def calibration_problem(metric: str, evidence: Evidence) -> str | None:
    calibration = evidence.calibration
    if calibration is None:
        return f"the golden set is uncalibrated; {CALIBRATE_HINT}"
    if metric in LPIPS_METRICS and calibration.backbone != evidence.backbone:
        return (
            f"the calibration was measured with LPIPS backbone {calibration.backbone}, this run "
            f"scores with {evidence.backbone}; {CALIBRATE_HINT} under {evidence.backbone}"
        )
    return None


def judge_multiple(
    name: str,
    metric: str,
    multiple: float,
    values: Sequence[tuple[ItemResult, float]],
    evidence: Evidence,
    *,
    label: str,
    aggregate: Callable[[Sequence[float]], float] = lambda v: float(np.mean(v)),
) -> GateVerdict:
    """`label` names the measured aggregate, e.g. 'lpips mean'."""
    threshold = f"{label} <= {fmt(multiple)} x noise floor"
    problem = calibration_problem(metric, evidence)
    calibration = evidence.calibration
    if problem is not None or calibration is None:
        return no_data(name, threshold, f"{name}: {problem}")
    paired = [
        (value, floor)
        for r, value in values
        if (floor := calibration.floor(metric, r.item.id)) is not None
    ]
    if not paired:
        return no_data(
            name, threshold, f"{name}: no scored candidate item has a calibrated noise floor"
        )
    value = aggregate([v for v, _ in paired])
    floor = aggregate([f for _, f in paired])
    limit = multiple * floor
    return compare(
        name,
        value,
        "<=",
        limit,
        threshold=f"{label} <= {fmt(multiple)} x noise floor {fmt(floor)} = {fmt(limit)}",
        measured=f"{name}: {label} {fmt(value)}",
        bound=f"{fmt(multiple)} x noise floor {fmt(floor)} = {fmt(limit)} over {len(paired)} items",
    )
