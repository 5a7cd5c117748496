"""Worker processes that check items in parallel, one per usable core.

OCR, SSIM and the rest are CPU-bound and partly hold the GIL, so threads would not add
cores. Each worker loads its own OCR engine (and, when LPIPS runs on the CPU, its own
scorer) once, runs them single-threaded so the workers do not oversubscribe the cores,
and gets one item's first generations, or its seed replays, at a time. Workers are
spawned, not forked: the parent already runs an event loop and torch's thread pool,
neither of which survives a fork."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pixelproof.api.quality import ClassifierGate

from .checks.classifier import ImageClassifier, build_classifier
from .errors import EvaluatorError
from .golden import GoldenItem
from .item_checks import CheckedItem, CheckSettings, CheckTools, Generated, Role, check_item
from .item_lpips import ImageFeatures, identical_replays, replay_scores, score_lpips
from .ocr import OcrEngine
from .perceptual import LpipsScorer, build_scorer
from .reference_prep import PreparedReference, prepare_reference
from .resources import cgroup_memory_bytes, usable_cores
from .timeline import span

T = TypeVar("T")
WORKER_THREADS = 1
READY_TIMEOUT_SECONDS = 300.0
# bench/bench_evaluator.py measured a peak of about 610 MiB per worker at 256x256 (OCR and
# LPIPS loaded, the features of the items it holds for their replays) and 1048 MiB at
# 1024x1024, and 640-665 MiB for the evaluator's own process.
WORKER_MEMORY_BYTES = 768 * 1024 * 1024
"""A worker's share of the memory limit for images up to BASE_PIXELS."""
BASE_PIXELS = 256 * 256
WORKER_BYTES_PER_PIXEL = 480
"""A worker's share grows by this for each pixel of the largest image beyond BASE_PIXELS:
the LPIPS features it keeps take item_lpips.FEATURE_BYTES_PER_PIXEL for each pixel of
each of several images."""
MAIN_MEMORY_BYTES = 1024 * 1024 * 1024
WORKER_NICENESS = 10
"""Check workers yield the cores to the evaluator's own process: it sends the generators
their next requests and hands the workers their next images, a few milliseconds of work
each that, queued behind a worker's half-second check, would hold a request, and with it
the whole evaluation, back (bench/bench_evaluator.py --replays-differ on 2 cores:
1.13-1.21x the ideal before, 1.11-1.14x after; with OCR 0.99-1.08x)."""


class CheckWorkerError(EvaluatorError):
    """A check worker process died, most often killed for using too much memory."""


@dataclass
class _Worker:
    scorer: LpipsScorer | None
    ocr: OcrEngine
    classifiers: dict[str, ImageClassifier] = field(default_factory=dict)
    references: dict[str, PreparedReference] = field(default_factory=dict)
    """References prepared ahead, by the token of the item they are for."""
    features: dict[str, dict[Role, ImageFeatures]] = field(default_factory=dict)
    """First images' features kept for their item's replays, by the item's token."""

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
    os.nice(WORKER_NICENESS)
    with span("worker start"):
        scorer = build_scorer(lpips_weights, device="cpu") if lpips_here else None
        _worker = _Worker(scorer, OcrEngine(WORKER_THREADS))


def _check(
    generated: Generated, settings: CheckSettings, token: str, replays_follow: bool
) -> CheckedItem:
    assert _worker is not None, "the worker initializer did not run"
    gates = settings.gates
    tools = CheckTools(
        ocr=_worker.ocr if gates.typography is not None else None,
        classifier=_worker.classifier(gates.classifier),
    )
    prepared = _worker.references.pop(token, None)
    if prepared is not None:
        generated = dataclasses.replace(generated, reference=prepared)
    with span("replays" if generated.replays_only else "firsts", generated.item.id):
        checked = check_item(generated, settings, tools)
        if _worker.scorer is None:
            return checked
        # The features stay here, where the item's other piece is checked: they are
        # megabytes an image, and would otherwise cross to the parent and back.
        firsts = _worker.features.pop(token, {}) if checked.replays_only else {}
        identical_replays(firsts, checked)
        score_lpips(_worker.scorer, [checked])
        if checked.replays_only:
            replay_scores(_worker.scorer, firsts, checked)
        elif replays_follow:
            _worker.features[token] = checked.features
        checked.features = {}
    return checked


def _prepare(item: GoldenItem, token: str) -> None:
    assert _worker is not None and _worker.scorer is not None, "no scorer in this worker"
    _worker.references[token] = prepare_reference(item, _worker.scorer)


def _forget() -> None:
    """Drops what an earlier evaluation left here (one that ended before all its pieces)."""
    if _worker is not None:
        _worker.references.clear()
        _worker.features.clear()


def worker_memory_bytes(largest_pixels: int) -> int:
    """What a worker may use checking images of up to `largest_pixels`."""
    return WORKER_MEMORY_BYTES + WORKER_BYTES_PER_PIXEL * max(0, largest_pixels - BASE_PIXELS)


def default_workers(
    largest_pixels: int = BASE_PIXELS, *, cores: int | None = None, limit: int | None = None
) -> int:
    """A worker per usable core, as many as the memory limit holds beside this process for
    images of up to `largest_pixels`; `cores` and `limit` default to this container's."""
    cores = usable_cores() if cores is None else cores
    limit = cgroup_memory_bytes() if limit is None else limit
    if limit is None:
        return cores
    share = worker_memory_bytes(largest_pixels)
    return max(0, min(cores, (limit - MAIN_MEMORY_BYTES) // share))


def _pid() -> int:
    return os.getpid()


@dataclass
class _Home:
    """The worker an item's pieces go to, and the token its state there is kept under."""

    worker: int
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


class CheckPool:
    """`lpips_here` False leaves LPIPS to the caller, to batch it on its GPU.

    Each worker is an executor of its own, so that all of an item's pieces go to one
    worker: its reference prepared ahead, its first images, then its replays. The pieces
    then find there what the earlier ones left (the reference's features, the first
    images' features) instead of carrying it through this process. A new item goes to the
    worker with the fewest pieces waiting."""

    def __init__(self, workers: int, lpips_weights: str | None, *, lpips_here: bool) -> None:
        if workers < 1:
            raise ValueError(f"a check pool needs at least one worker, not {workers}")
        self.workers = workers
        self.lpips_here = lpips_here
        self.broken = False
        context = multiprocessing.get_context("spawn")
        self._executors = [
            ProcessPoolExecutor(
                1,
                mp_context=context,
                initializer=_start_worker,
                initargs=(lpips_weights, lpips_here),
            )
            for _ in range(workers)
        ]
        self._waiting = [0] * workers
        self._homes: dict[str, _Home] = {}

    def _home(self, item: GoldenItem) -> _Home:
        home = self._homes.get(item.id)
        if home is None:
            home = self._homes[item.id] = _Home(self._waiting.index(min(self._waiting)))
        return home

    async def check(
        self, generated: Generated, settings: CheckSettings, *, replays_follow: bool
    ) -> CheckedItem:
        """One piece of an item's work; `replays_follow` says its replays come after it."""
        item = generated.item
        home = self._home(item)
        if generated.replays_only or not replays_follow:
            del self._homes[item.id]
        return await self._run(home, item, _check, generated, settings, home.token, replays_follow)

    async def prepare(self, item: GoldenItem) -> None:
        """The item's reference prepared in the worker that will check the item; only where
        the workers score LPIPS."""
        home = self._home(item)
        await self._run(home, item, _prepare, item, home.token)

    async def _run(self, home: _Home, item: GoldenItem, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        self._waiting[home.worker] += 1
        try:
            return await loop.run_in_executor(self._executors[home.worker], work, *args)
        except BrokenProcessPool as exc:
            self.broken = True
            raise CheckWorkerError(
                f"a check worker process died while checking {item.id} "
                "(killed for memory? raise the evaluator's memory limit)"
            ) from exc
        finally:
            self._waiting[home.worker] -= 1

    def start(self) -> None:
        """Spawns every worker without waiting for it, so that their start-up (seconds: each
        loads OCR and LPIPS) overlaps loading the golden set and the first generations; and
        has each drop what an earlier evaluation that ended early left behind."""
        self._homes.clear()
        try:
            for executor in self._executors:
                executor.submit(_forget)
        except BrokenProcessPool:
            # The first check then fails with the reason; nothing to start here.
            self.broken = True

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> float:
        """Starts every worker and waits until each has loaded its models; the seconds taken."""
        started = time.monotonic()
        futures: list[Future[int]] = [executor.submit(_pid) for executor in self._executors]
        try:
            for future in futures:
                future.result(timeout=max(0.0, started + timeout - time.monotonic()))
        except TimeoutError as exc:
            ready = sum(1 for f in futures if f.done())
            raise CheckWorkerError(
                f"only {ready} of {self.workers} check workers started within {timeout:g}s"
            ) from exc
        except BrokenProcessPool as exc:
            self.broken = True
            raise CheckWorkerError(f"a check worker failed to start: {exc}") from exc
        return time.monotonic() - started

    def close(self) -> None:
        for executor in self._executors:
            executor.shutdown(wait=True, cancel_futures=True)
