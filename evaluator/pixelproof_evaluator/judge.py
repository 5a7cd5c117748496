"""The judge: every configured quality gate gets a verdict with a reason naming the gate, the
value and the threshold, and the evaluation gets one overall verdict.

A gate without data is inconclusive, never a pass. When the stable model itself cannot
serve most items the environment is broken, so failures of the candidate to serve are
inconclusive rather than held against it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import QualityGates
from pixelproof.api.verdicts import FinalVerdict

from .calibration import Calibration
from .checks import stable_health
from .checks.evidence import Evidence
from .checks.registry import CHECKS
from .results import ItemResult


@dataclass
class Judgement:
    verdict: FinalVerdict
    reason: str
    gates: list[GateVerdict]
    scores: dict[str, float] = field(default_factory=dict)
    failed_items: list[str] = field(default_factory=list)


def judge(
    gates: QualityGates,
    results: Sequence[ItemResult],
    calibration: Calibration | None = None,
    backbone: str | None = None,
) -> Judgement:
    if not results:
        return Judgement("Inconclusive", "no golden items were evaluated", [])
    evidence = Evidence.of(results, calibration, backbone)
    verdicts: list[GateVerdict] = []
    if not evidence.stable_healthy:
        verdicts.append(stable_health.judge(evidence))
    scores: dict[str, float] = {}
    for check in CHECKS:
        config = getattr(gates, check.field)
        if config is None:
            continue
        result = check.judge(config, evidence)
        if config.dry_run:
            verdicts.extend(v.model_copy(update={"dry_run": True}) for v in result.verdicts)
        else:
            verdicts.extend(result.verdicts)
        scores.update(result.scores)
    scores.update(common_scores(evidence))
    return Judgement(*overall(verdicts), verdicts, scores, failed_items(results))


def combine(judgements: Sequence[Judgement]) -> Judgement:
    """One judgement from the golden set's and the live prompts'."""
    if len(judgements) == 1:
        return judgements[0]
    verdicts = [v for j in judgements for v in j.gates]
    scores = {k: v for j in judgements for k, v in j.scores.items()}
    failed = [item for j in judgements for item in j.failed_items]
    return Judgement(*overall(verdicts), verdicts, scores, failed)


def common_scores(evidence: Evidence) -> dict[str, float]:
    """Scores reported whichever gates are configured."""
    scores: dict[str, float] = {}
    for key, stats in (
        ("failureRate", evidence.candidate_failures),
        ("stableFailureRate", evidence.stable_failures),
    ):
        if stats.rate is not None:
            scores[key] = round(stats.rate, 4)
    results = evidence.results
    for key, values in (
        ("lpipsMean", [r.candidate.lpips for r in results if r.candidate.lpips is not None]),
        ("stableLpipsMean", [r.stable.lpips for r in results if r.stable.lpips is not None]),
    ):
        if values:
            scores[key] = round(float(np.mean(values)), 4)
    by_tag: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.candidate.lpips is not None:
            for tag in r.item.spec.tags:
                by_tag[tag].append(r.candidate.lpips)
    for tag, values in by_tag.items():
        scores[f"lpipsMean.{tag}"] = round(float(np.mean(values)), 4)
    return scores


def failed_items(results: Sequence[ItemResult]) -> list[str]:
    failed = []
    for r in results:
        c = r.candidate
        bad = (
            not c.usable
            or (c.format is not None and not c.format.alpha_ok)
            or (c.size is not None and not c.size.size_ok)
            or (c.typography is not None and not c.typography.passed)
        )
        if bad:
            failed.append(r.item.id)
    return failed


def overall(verdicts: Sequence[GateVerdict]) -> tuple[FinalVerdict, str]:
    """Dry-run gates are named in the reason but never decide the verdict."""
    if not verdicts:
        return "Inconclusive", "no quality gates are configured"
    enforced = [v for v in verdicts if not v.dry_run]
    verdict, reason = _enforced(enforced)
    unsettled = [v for v in verdicts if v.dry_run and v.verdict != "Pass"]
    if unsettled:
        noted = "; ".join(f"{v.name} {v.verdict}: {v.reason}" for v in unsettled)
        reason += f"; dry run, not enforced: {noted}"
    return verdict, reason


def _enforced(verdicts: Sequence[GateVerdict]) -> tuple[FinalVerdict, str]:
    if not verdicts:
        return "Pass", "only dry-run gates are configured"
    failed = [v for v in verdicts if v.verdict == "Fail"]
    if failed:
        return "Fail", "; ".join(v.reason for v in failed)
    pending = [v for v in verdicts if v.verdict == "Inconclusive"]
    if pending:
        return "Inconclusive", "; ".join(v.reason for v in pending)
    return "Pass", f"all {len(verdicts)} gates passed"
