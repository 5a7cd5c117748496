"""Worker processes that check items in parallel, one per usable core.

OCR, SSIM and the rest are CPU-bound and partly hold the GIL, so threads would not add
cores. Each worker loads its own OCR engine (and, when LPIPS runs on the CPU, its own
scorer) once, runs them single-threaded so the workers do not oversubscribe the cores,
and gets one item's first generations, or its seed replays, at a time. Workers are
spawned, not forked: the parent already runs an event loop and torch's thread pool,
neither of which survives a fork."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pixelproof.api.quality import ClassifierGate

from .checks.classifier import ImageClassifier, build_classifier
from .errors import EvaluatorError
from .golden import GoldenItem
from .item_checks import CheckedItem, CheckSettings, CheckTools, Generated, check_item
from .item_lpips import score_lpips
from .ocr import OcrEngine
from .perceptual import LpipsScorer, build_scorer
from .reference_prep import PreparedReference, prepare_reference
from .resources import cgroup_memory_bytes, usable_cores
from .timeline import span

T = TypeVar("T")
WORKER_THREADS = 1
READY_TIMEOUT_SECONDS = 300.0
# bench/bench_evaluator.py measured about 645 MiB per worker (OCR and LPIPS loaded) and
# 715-740 MiB for the evaluator's own process, at 256x256; the margin is for larger images.
WORKER_MEMORY_BYTES = 768 * 1024 * 1024
MAIN_MEMORY_BYTES = 1024 * 1024 * 1024


class CheckWorkerError(EvaluatorError):
    """A check worker process died, most often killed for using too much memory."""


@dataclass
class _Worker:
    scorer: LpipsScorer | None
    ocr: OcrEngine
    classifiers: dict[str, ImageClassifier] = field(default_factory=dict)

    def classifier(self, gate: ClassifierGate | None) -> ImageClassifier | None:
        if gate is None:
            return None
        key = gate.model_dump_json()
        if key not in self.classifiers:
            self.classifiers[key] = build_classifier(gate, WORKER_THREADS)
        return self.classifiers[key]


_worker: _Worker | None = None


def _start_worker(lpips_weights: str | None, lpips_here: bool) -> None:
    global _worker
    with span("worker start"):
        scorer = build_scorer(lpips_weights, device="cpu") if lpips_here else None
        _worker = _Worker(scorer, OcrEngine(WORKER_THREADS))


def _check(generated: Generated, settings: CheckSettings) -> CheckedItem:
    assert _worker is not None, "the worker initializer did not run"
    gates = settings.gates
    tools = CheckTools(
        ocr=_worker.ocr if gates.typography is not None else None,
        classifier=_worker.classifier(gates.classifier),
    )
    with span("replays" if generated.replays_only else "firsts", generated.item.id):
        checked = check_item(generated, settings, tools)
        if _worker.scorer is not None:
            score_lpips(_worker.scorer, [checked])
    return checked


def _prepare(item: GoldenItem) -> PreparedReference:
    assert _worker is not None and _worker.scorer is not None, "no scorer in this worker"
    return prepare_reference(item, _worker.scorer)


def default_workers() -> int:
    """A worker per usable core, as many as the memory limit holds beside this process."""
    cores = usable_cores()
    limit = cgroup_memory_bytes()
    if limit is None:
        return cores
    return max(0, min(cores, (limit - MAIN_MEMORY_BYTES) // WORKER_MEMORY_BYTES))


def _pid(hold_seconds: float) -> int:
    time.sleep(hold_seconds)
    return os.getpid()


class CheckPool:
    """`lpips_here` False leaves LPIPS to the caller, to batch it on its GPU."""

    def __init__(self, workers: int, lpips_weights: str | None, *, lpips_here: bool) -> None:
        if workers < 1:
            raise ValueError(f"a check pool needs at least one worker, not {workers}")
        self.workers = workers
        self.lpips_here = lpips_here
        self.broken = False
        self._executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(lpips_weights, lpips_here),
        )

    async def check(self, generated: Generated, settings: CheckSettings) -> CheckedItem:
        return await self._run(generated.item, _check, generated, settings)

    async def prepare(self, item: GoldenItem) -> PreparedReference:
        """The item's reference prepared in a worker; only where the workers score LPIPS."""
        return await self._run(item, _prepare, item)

    async def _run(self, item: GoldenItem, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, work, *args)
        except BrokenProcessPool as exc:
            self.broken = True
            raise CheckWorkerError(
                f"a check worker process died while checking {item.id} "
                "(killed for memory? raise the evaluator's memory limit)"
            ) from exc

    def start(self) -> None:
        """Spawns every worker without waiting for it, so that their start-up (seconds: each
        loads OCR and LPIPS) overlaps loading the golden set and the first generations."""
        try:
            for _ in range(self.workers):
                self._executor.submit(_pid, 0.0)
        except BrokenProcessPool:
            # The first check then fails with the reason; nothing to start here.
            self.broken = True

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> float:
        """Starts every worker and waits until each has loaded its models; the seconds taken."""
        started = time.monotonic()
        seen: set[int] = set()
        while len(seen) < self.workers:
            if time.monotonic() - started > timeout:
                raise CheckWorkerError(
                    f"only {len(seen)} of {self.workers} check workers started within {timeout:g}s"
                )
            # A task held briefly keeps a ready worker busy so the next goes to another one.
            futures: list[Future[int]] = [
                self._executor.submit(_pid, 0.05) for _ in range(self.workers)
            ]
            try:
                seen.update(f.result() for f in futures)
            except BrokenProcessPool as exc:
                self.broken = True
                raise CheckWorkerError(f"a check worker failed to start: {exc}") from exc
        return time.monotonic() - started

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
