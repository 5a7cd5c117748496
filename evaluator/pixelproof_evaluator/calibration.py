"""The noise floor of a golden set: how far the stable model lands from its own references
when asked again, measured by running it against itself (A/A) several times.

It lives in `calibration.json` beside the manifest, with the LPIPS backbone it was measured
with, so gates can be written as a multiple of the floor instead of an absolute number and
the same spec holds for any model and backbone."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from .checks.sharpness import sharpness_deficit
from .errors import EvaluatorError

if TYPE_CHECKING:
    from .results import ItemResult, ModelResult

CALIBRATION_FILE = "calibration.json"
# Latency percentiles whose run-to-run spread the calibration records.
PERCENTILES = (50, 95, 99)


class CalibrationError(EvaluatorError):
    """calibration.json exists but cannot be read."""


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ItemFloor(_Model):
    """The largest value each metric took over the A/A runs for one item."""

    lpips: float | None = None
    delta_e: float | None = None
    sharpness_deficit: float | None = None
    replay_distance: float | None = None
    preservation: float | None = None
    input_delta_e: float | None = None


class Calibration(_Model):
    version: int = 1
    backbone: str
    runs: int = Field(ge=1)
    items: dict[str, ItemFloor]
    latency_spread_ms: dict[str, float] = Field(default_factory=dict)
    """Per percentile (p50, p95, p99): max minus min of the stable model's value across runs."""

    def floor(self, metric: str, item_id: str) -> float | None:
        item = self.items.get(item_id)
        return getattr(item, metric) if item is not None else None


METRICS: dict[str, Callable[[ModelResult], float | None]] = {
    "lpips": lambda m: m.lpips,
    "delta_e": lambda m: m.delta_e,
    "sharpness_deficit": lambda m: None if m.sharpness is None else sharpness_deficit(m.sharpness),
    "replay_distance": lambda m: m.replay_distance,
    "preservation": lambda m: m.preservation,
    "input_delta_e": lambda m: m.input_delta_e,
}


def _percentiles(results: Sequence[ItemResult]) -> dict[str, float]:
    latencies = [
        g.latency_ms
        for r in results
        for model in (r.stable, r.candidate)
        for g in (model.generation, model.replay)
        if g is not None and g.ok and g.latency_ms is not None
    ]
    if not latencies:
        return {}
    return {f"p{q}": float(np.percentile(latencies, q)) for q in PERCENTILES}


def from_runs(runs: Sequence[Sequence[ItemResult]], backbone: str) -> Calibration:
    """Floors from A/A runs: in each run both sides were the stable model."""
    items: dict[str, ItemFloor] = {}
    ids = [r.item.id for r in runs[0]] if runs else []
    for item_id in ids:
        values: dict[str, float | None] = {}
        for metric, pick in METRICS.items():
            seen = [
                v
                for run in runs
                for r in run
                if r.item.id == item_id
                for model in (r.stable, r.candidate)
                if (v := pick(model)) is not None
            ]
            values[metric] = max(0.0, max(seen)) if seen else None
        items[item_id] = ItemFloor(**values)
    per_run = [_percentiles(run) for run in runs]
    spread = {
        key: max(p[key] for p in per_run) - min(p[key] for p in per_run)
        for key in (per_run[0] if per_run else {})
        if all(key in p for p in per_run)
    }
    return Calibration(backbone=backbone, runs=len(runs), items=items, latency_spread_ms=spread)


def write_calibration(root: Path, calibration: Calibration) -> Path:
    path = root / CALIBRATION_FILE
    doc = calibration.model_dump(by_alias=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_calibration(root: Path) -> Calibration | None:
    """The golden set's calibration, or None when it was never calibrated."""
    path = root / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        return Calibration.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise CalibrationError(f"golden calibration {path} is unusable: {exc}") from exc
