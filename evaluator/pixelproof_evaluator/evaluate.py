"""One evaluation from start to verdict: load the golden set and/or the live prompts,
generate and score, judge, and write the report and the summary."""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.evaluator_invocation import (
    DEFAULT_CONCURRENCY,
    RUN_CONTEXT_ENV,
    EvaluatorInvocation,
)
from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

from .calibration import Calibration
from .check_pool import CheckPool, default_workers
from .client import RetryPolicy
from .golden import GoldenItem, GoldenSet, load_golden_dir
from .golden_archive import Fetch, fetch_https, load_golden_url
from .judge import Judgement, combine, judge
from .live import LiveOptions, LiveRun, run_live
from .live_items import quoted_text
from .live_source import Fetch as LiveFetch
from .live_source import fetch_bounded, load_live_records
from .ocr import OcrEngine
from .perceptual import LpipsScorer, build_scorer, warn_random_backbone
from .report import IMAGE_FOLDER, write_report
from .results import ItemResult
from .runner import EvaluationConfig, progress_bar, run_evaluation


@dataclass
class EvaluateOptions:
    stable_url: str
    candidate_url: str
    contract: GeneratorContract
    gates: QualityGates
    out: Path
    golden: Path | None = None
    golden_url: str | None = None
    golden_sha256: str | None = None
    tags: list[str] = field(default_factory=list)
    concurrency: int = DEFAULT_CONCURRENCY
    candidate_replicas: int | None = None
    """The candidate's ready replicas the concurrency followed, for the report."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lpips_weights: str | None = None
    fetch: Fetch = fetch_https
    live: LiveOptions | None = None
    live_fetch: LiveFetch = fetch_bounded

    @property
    def has_golden(self) -> bool:
        return self.golden is not None or self.golden_url is not None

    @classmethod
    def from_invocation(cls, invocation: EvaluatorInvocation) -> EvaluateOptions:
        return cls(
            stable_url=invocation.stable,
            candidate_url=invocation.candidate,
            contract=invocation.generator,
            gates=invocation.gates,
            out=Path(invocation.out),
            golden=Path(invocation.golden) if invocation.golden is not None else None,
            golden_url=invocation.golden_url,
            golden_sha256=invocation.golden_sha256,
            tags=list(invocation.tags),
            concurrency=invocation.effective_concurrency,
            candidate_replicas=invocation.candidate_replicas,
            lpips_weights=invocation.lpips_weights,
            live=LiveOptions(
                source=invocation.live_source,
                count=invocation.live_count,
                min_count=invocation.live_min_count,
                sha256=invocation.live_source_sha256,
                allow_prompt_text=invocation.allow_prompt_text,
            )
            if invocation.live_source is not None
            else None,
        )


# Starting check workers costs seconds (each loads OCR and LPIPS: 4.75 s for two on a quiet
# 2-core machine, bench/bench_evaluator.py) against 0.3-1 s to check an item in-process, so
# a small set is checked faster without them.
POOL_MIN_ITEMS = 16


class Models:
    """LPIPS, OCR and the check workers, built on first use and reused across evaluations in
    one process. `check_workers` 0 checks every item in one thread of this process; unset,
    there is a worker per usable core that the memory limit has room for at the golden
    set's image size (none where that is one, which would only add its start-up). `device` puts LPIPS on cpu or cuda; unset, on a GPU when there is one."""

    def __init__(
        self,
        lpips_weights: str | None = None,
        check_workers: int | None = None,
        device: str | None = None,
    ) -> None:
        self._weights = lpips_weights
        self._device = device
        self._workers = default_workers() if check_workers is None else check_workers
        self._workers_given = check_workers is not None
        self._scorer: LpipsScorer | None = None
        self._ocr: OcrEngine | None = None
        self._pool: CheckPool | None = None

    @property
    def scorer(self) -> LpipsScorer:
        if self._scorer is None:
            self._scorer = build_scorer(self._weights, self._device)
        return self._scorer

    @property
    def ocr(self) -> OcrEngine:
        if self._ocr is None:
            self._ocr = OcrEngine()
        return self._ocr

    @property
    def pool(self) -> CheckPool | None:
        if self._workers < 2:
            return None
        if self._pool is None or self._pool.broken or self._pool.workers != self._workers:
            if self._pool is not None:
                self._pool.close()
            # On a GPU LPIPS stays here, batched; on the CPU each worker scores its own items.
            lpips_here = self.scorer.device == "cpu"
            self._pool = CheckPool(self._workers, self._weights, lpips_here=lpips_here)
        return self._pool

    def pool_for(self, items: Sequence[GoldenItem]) -> CheckPool | None:
        """The pool for a set of `items`, with as many workers as the memory limit holds at
        their largest size; a small set is checked in-process unless the workers were asked
        for."""
        if not items or (not self._workers_given and len(items) < POOL_MIN_ITEMS):
            return None
        if not self._workers_given:
            self._workers = default_workers(max(item.width * item.height for item in items))
        return self.pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def load_golden(options: EvaluateOptions, workdir: Path) -> GoldenSet:
    if options.golden_url is not None:
        if options.golden_sha256 is None:
            raise ValueError("--golden-url needs --golden-sha256")
        return load_golden_url(
            options.golden_url, options.golden_sha256, workdir, fetch=options.fetch
        )
    if options.golden is None:
        raise ValueError("give --golden or --golden-url")
    return load_golden_dir(options.golden)


def run_context(started_at: str) -> dict[str, str]:
    """Rollout, Job and step as the Job's environment names them, and when the run began."""
    context = {key: os.environ[var] for key, var in RUN_CONTEXT_ENV.items() if os.environ.get(var)}
    context["started"] = started_at
    return context


def calibration_note(calibration: Calibration | None, backbone: str) -> str:
    """One line for the report on what the gates' noise floors rest on."""
    if calibration is None:
        return "uncalibrated: the golden set has no calibration.json; gates use absolute thresholds"
    note = f"calibrated over {calibration.runs} A/A runs with LPIPS backbone {calibration.backbone}"
    if calibration.backbone != backbone:
        note += f", not this run's {backbone}: LPIPS noise-floor gates are Inconclusive"
    return note


def evaluate(options: EvaluateOptions, models: Models | None = None) -> EvaluationSummary:
    """Runs the evaluation and writes the report; golden-set and live-source problems raise
    before any request."""
    started = time.monotonic()
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if models is None:
        with closing(Models(options.lpips_weights)) as own:
            return evaluate(options, own)
    items: list[GoldenItem] = []
    calibration: Calibration | None = None
    if options.has_golden or options.live is None:
        with tempfile.TemporaryDirectory(prefix="pixelproof-golden-") as workdir:
            golden = load_golden(options, Path(workdir))
            items = golden.select(options.tags)
        calibration = golden.calibration
        if not items:
            raise ValueError(f"no golden items carry any of the tags {', '.join(options.tags)}")
    live = options.live
    records = (
        load_live_records(live.source, live.count, live.sha256, fetch=options.live_fetch)
        if live is not None
        else []
    )
    typography = options.gates.typography is not None
    needs_ocr = typography and any(item.spec.text for item in items)
    live_needs_ocr = typography and any(quoted_text(r.prompt) for r in records)
    scorer = models.scorer
    warn_random_backbone(scorer.backbone)
    pool = models.pool_for(items)
    if pool is not None:
        pool.start()
    golden_ocr = models.ocr if needs_ocr and pool is None else None
    config = EvaluationConfig(
        stable_url=options.stable_url,
        candidate_url=options.candidate_url,
        contract=options.contract,
        gates=options.gates,
        concurrency=options.concurrency,
        retry=options.retry,
        replay=True,
        image_dir=options.out / IMAGE_FOLDER,
    )
    judgements: list[Judgement] = []
    results: list[ItemResult] = []
    stats: dict[str, Any] = {}
    if items:
        with progress_bar(len(items)) as bar:
            results, stats = asyncio.run(
                run_evaluation(items, config, scorer, golden_ocr, pool=pool, progress=bar.update)
            )
        judgements.append(judge(options.gates, results, calibration, scorer.backbone))
    live_run: LiveRun | None = None
    if live is not None:
        ocr = models.ocr if live_needs_ocr else None
        live_run = run_live(live, config, scorer, ocr, records)
        judgements.append(live_run.judgement)
    judgement = combine(judgements)
    live_results = live_run.results if live_run is not None else []
    summary = EvaluationSummary(
        verdict=judgement.verdict,
        reason=judgement.reason,
        gates=judgement.gates,
        scores=judgement.scores,
        items=len(results) + len(live_results),
        failed_items=judgement.failed_items,
        backbone=scorer.backbone,
        report=str(options.out / "report.html"),
        duration_seconds=round(time.monotonic() - started, 2),
    )
    extra: dict[str, Any] = {
        "context": run_context(started_at),
        "stableUrl": options.stable_url,
        "candidateUrl": options.candidate_url,
        "generator": options.contract.to_wire(),
        "gates": options.gates.to_wire(),
        "golden": str(options.golden or options.golden_url),
        "tags": options.tags,
        "concurrency": options.concurrency,
        "candidateReadyReplicas": options.candidate_replicas,
        "checkWorkers": pool.workers if pool is not None else 0,
        "lpipsBackbone": scorer.backbone,
        "calibration": calibration_note(calibration, scorer.backbone),
        "calibrationFloors": calibration.model_dump(by_alias=True)["items"] if calibration else {},
        "device": scorer.device,
        "clients": stats,
        "machine": f"{platform.platform()} ({platform.machine()})",
    }
    if live is not None and live_run is not None:
        extra["live"] = {
            "source": live.source,
            "records": live_run.recorded,
            "prompts": len(live_results),
            "minCount": live.min_count,
            "promptText": "shown" if live.allow_prompt_text else "sha256 only",
            "clients": live_run.stats,
        }
    write_report(options.out, summary, results, extra, live_results)
    return summary
