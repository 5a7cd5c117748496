"""Live evaluation: recorded prompts replayed on stable and candidate with the same seed,
judged paired per prompt with stable's output in place of a reference.

Only prompts stable served count: real traffic holds requests no model can serve, and those
say nothing about the candidate. Gates that need a reference image (lpips, versusStable) or
the golden set's calibration (noise-floor bounds other than divergence's) are not judged on
live prompts; divergence takes the place of lpips. Fewer usable prompts than the minimum is
Inconclusive, never a pass, and then no gate is judged on so few."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import QualityGates

from .judge import Judgement, judge, overall
from .live_items import live_items
from .ocr import OcrEngine
from .perceptual import LpipsScorer
from .recorder.records import LiveRecord
from .results import ItemResult
from .runner import EvaluationConfig, run_evaluation

log = logging.getLogger("pixelproof_evaluator.live")

PREFIX = "live."
COUNT_GATE = "live.prompts"
# Bounds relative to the golden set's calibration, by gate: live prompts have none.
_CALIBRATED = {
    "color": "max_delta_e",
    "sharpness": "min_ratio",
    "determinism": "max_replay_distance",
}


@dataclass
class LiveRun:
    judgement: Judgement
    results: list[ItemResult] = field(default_factory=list)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    recorded: int = 0


def live_gates(gates: QualityGates) -> QualityGates:
    """The gates as judged on live prompts."""
    update: dict[str, Any] = {"lpips": None, "versus_stable": None}
    for name, absolute in _CALIBRATED.items():
        gate = getattr(gates, name)
        if gate is not None and gate.max_noise_multiple is not None:
            keep = getattr(gate, absolute) is not None
            update[name] = gate.model_copy(update={"max_noise_multiple": None}) if keep else None
    return gates.model_copy(update=update)


def _prefixed(verdict: GateVerdict) -> GateVerdict:
    # A reason names its gate first; it names it as the verdict is named.
    reason = verdict.reason
    reason = PREFIX + reason if reason.startswith(verdict.name) else f"live {reason}"
    return verdict.model_copy(update={"name": PREFIX + verdict.name, "reason": reason})


def judge_live(
    gates: QualityGates, results: list[ItemResult], min_count: int, backbone: str | None
) -> Judgement:
    served = [r for r in results if r.stable.usable]
    threshold = f"usable live prompts >= {min_count}"
    counted = f"{len(served)} usable prompts (stable served {len(served)} of {len(results)})"
    if len(served) < min_count:
        reason = f"live: only {counted}, need liveMinCount {min_count}"
        verdict = GateVerdict(
            name=COUNT_GATE,
            verdict="Inconclusive",
            value=float(len(served)),
            threshold=threshold,
            reason=reason,
        )
        return Judgement("Inconclusive", reason, [verdict])
    inner = judge(live_gates(gates), served, None, backbone)
    count = GateVerdict(
        name=COUNT_GATE,
        verdict="Pass" if inner.gates else "Inconclusive",
        value=float(len(served)),
        threshold=threshold,
        reason=f"live: {counted}, liveMinCount {min_count}"
        + ("" if inner.gates else "; none of the configured gates applies to live prompts"),
    )
    verdicts = [count, *(_prefixed(v) for v in inner.gates)]
    scores = {PREFIX + key: value for key, value in inner.scores.items()}
    return Judgement(*overall(verdicts), verdicts, scores, inner.failed_items)


@dataclass
class LiveOptions:
    source: str
    count: int
    min_count: int
    sha256: str | None = None
    allow_prompt_text: bool = False


def run_live(
    options: LiveOptions,
    config: EvaluationConfig,
    scorer: LpipsScorer,
    ocr: OcrEngine | None,
    records: Sequence[LiveRecord],
) -> LiveRun:
    """Replays the records and judges them; `config` is the golden run's, made live."""
    items = live_items(records, private=not options.allow_prompt_text)
    log.info("live: replaying %d distinct prompts of %d records", len(items), len(records))
    if not items:
        return LiveRun(judge_live(config.gates, [], options.min_count, scorer.backbone))
    live_config = dataclasses.replace(config, replay=True, stable_reference=True)
    results, stats = asyncio.run(run_evaluation(items, live_config, scorer, ocr))
    judgement = judge_live(config.gates, results, options.min_count, scorer.backbone)
    return LiveRun(judgement, results, stats, len(records))
