"""Runs one evaluation: asks both models for every golden item (and once more for the seed
replay), and checks outputs while later items are still being generated.

Three stages overlap: generation (bounded per model by the clients' concurrency) feeds a
bounded queue; checks drain it, in a pool of worker processes when there is one, else in
one thread; LPIPS runs batched wherever the scorer lives. Each item's images are dropped
once it is checked, so memory stays flat however large the golden set is."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

from .check_pool import CheckPool
from .checks.classifier import build_classifier
from .client import GenerationResult, GeneratorClient, RetryPolicy, byte_budget
from .golden import GoldenItem
from .item_checks import CheckedItem, CheckSettings, CheckTools, Generated, check_item, score_lpips
from .ocr import OcrEngine
from .perceptual import LpipsScorer
from .request_body import request_inputs
from .results import ItemResult


@dataclass
class EvaluationConfig:
    stable_url: str
    candidate_url: str
    contract: GeneratorContract
    gates: QualityGates
    concurrency: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    replay: bool = True
    check_group: int = 8
    image_dir: Path | None = None
    stable_reference: bool = False
    """Live prompts have no reference image: stable's output for the same prompt and seed
    takes its place, and the candidate is held to stable's format, size and text."""


async def _generate_item(
    item: GoldenItem, client: GeneratorClient, replay: bool
) -> tuple[GenerationResult, GenerationResult | None]:
    spec = item.spec
    inputs = request_inputs(item)
    first = await client.generate(
        spec.prompt, spec.seed, item.size, spec.alpha, item.request, inputs
    )
    if not replay or not first.ok:
        return first, None
    second = await client.generate(
        spec.prompt, spec.seed, item.size, spec.alpha, item.request, inputs
    )
    return first, second


async def _together(*steps: Coroutine[Any, Any, None]) -> None:
    """Runs the steps at once; the first to fail cancels the rest, and its error is raised
    as it is (a stage that died must not leave the others waiting on its queue)."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _groups(queue: asyncio.Queue[Any], size: int) -> AsyncIterator[list[Any]]:
    """What the queue holds, in groups of up to `size` of what is already there, until None."""
    while (first := await queue.get()) is not None:
        group = [first]
        while len(group) < size and not queue.empty():
            nxt = queue.get_nowait()
            if nxt is None:
                yield group
                return
            group.append(nxt)
        yield group


class _Checks:
    """The check and LPIPS stages, fed by the generation stage's queue."""

    def __init__(
        self,
        config: EvaluationConfig,
        scorer: LpipsScorer,
        ocr: OcrEngine | None,
        pool: CheckPool | None,
        progress: Callable[[int], Any] | None,
    ) -> None:
        self.config = config
        self.scorer = scorer
        self.pool = pool
        self.settings = CheckSettings(config.gates, config.image_dir, config.stable_reference)
        gate = config.gates.classifier
        # Built here even when workers check: a bad model file then fails before any request.
        classifier = build_classifier(gate) if gate is not None else None
        self.tools = CheckTools(ocr, classifier)
        self.progress = progress
        self.results: dict[str, ItemResult] = {}

    def _record(self, checked: Sequence[CheckedItem]) -> None:
        for c in checked:
            self.results[c.item.id] = ItemResult(c.item, c.stable, c.candidate, c.images)
        if self.progress is not None:
            self.progress(len(checked))

    def _check_group(self, group: Sequence[Generated]) -> list[CheckedItem]:
        checked = [check_item(g, self.settings, self.tools) for g in group]
        score_lpips(self.scorer, checked)
        return checked

    async def run(self, generated: asyncio.Queue[Generated | None]) -> None:
        if self.pool is None:
            async for group in _groups(generated, self.config.check_group):
                self._record(await asyncio.to_thread(self._check_group, group))
            return
        scoring: asyncio.Queue[CheckedItem | None] = asyncio.Queue(self.config.check_group * 2)
        steps = [self._check_in_pool(self.pool, generated, scoring)]
        if not self.pool.lpips_here:
            steps.append(self._score(scoring))
        await _together(*steps)

    async def _check_in_pool(
        self,
        pool: CheckPool,
        generated: asyncio.Queue[Generated | None],
        scoring: asyncio.Queue[CheckedItem | None],
    ) -> None:
        # Two items per worker: one being checked, one already waiting for it.
        slots = asyncio.Semaphore(2 * pool.workers)

        async def one(item: Generated) -> None:
            try:
                checked = await pool.check(item, self.settings)
            finally:
                slots.release()
            if pool.lpips_here:
                self._record([checked])
            else:
                await scoring.put(checked)

        running: set[asyncio.Task[None]] = set()
        try:
            while (item := await generated.get()) is not None:
                await slots.acquire()
                for task in [t for t in running if t.done()]:
                    running.discard(task)
                    task.result()
                running.add(asyncio.create_task(one(item)))
            await asyncio.gather(*running)
        finally:
            for task in running:
                task.cancel()
        await scoring.put(None)

    async def _score(self, scoring: asyncio.Queue[CheckedItem | None]) -> None:
        async for group in _groups(scoring, self.config.check_group):
            await asyncio.to_thread(score_lpips, self.scorer, group)
            self._record(group)


async def run_evaluation(
    items: Sequence[GoldenItem],
    config: EvaluationConfig,
    scorer: LpipsScorer,
    ocr: OcrEngine | None,
    *,
    pool: CheckPool | None = None,
    progress: Callable[[int], Any] | None = None,
) -> tuple[list[ItemResult], dict[str, dict[str, Any]]]:
    """Per-item results in golden-set order, and each model's client statistics. Without a
    pool every item is checked in one thread of this process."""
    checks = _Checks(config, scorer, ocr, pool, progress)
    queue: asyncio.Queue[Generated | None] = asyncio.Queue(maxsize=2 * config.check_group)

    # One byte budget for both models: it bounds the evaluation's memory, not each client's.
    budget = byte_budget()
    async with (
        GeneratorClient(
            config.stable_url,
            config.contract,
            concurrency=config.concurrency,
            retry=config.retry,
            budget=budget,
        ) as stable,
        GeneratorClient(
            config.candidate_url,
            config.contract,
            concurrency=config.concurrency,
            retry=config.retry,
            budget=budget,
        ) as candidate,
    ):
        # An oversized input is refused before either model receives any request.
        for item in items:
            if item.input is not None:
                spec = item.spec
                stable.request(
                    spec.prompt,
                    spec.seed,
                    item.size,
                    spec.alpha,
                    item.request,
                    request_inputs(item),
                )
        # Requests are issued in golden-set order but bounded per model by the clients'
        # semaphores; a small window keeps early items from waiting behind the whole set.
        window = asyncio.Semaphore(max(2 * config.concurrency, config.check_group))

        async def produce(item: GoldenItem) -> None:
            async with window:
                pair = await asyncio.gather(
                    _generate_item(item, stable, config.replay),
                    _generate_item(item, candidate, config.replay),
                )
                await queue.put(Generated(item, pair[0], pair[1]))

        async def generate_all() -> None:
            await asyncio.gather(*(produce(item) for item in items))
            await queue.put(None)

        await _together(generate_all(), checks.run(queue))
        stats = {"stable": stable.stats.to_dict(), "candidate": candidate.stats.to_dict()}
    return [checks.results[item.id] for item in items], stats


def progress_bar(total: int) -> Any:
    """A bar on stderr when a person is watching; silent in a Job's log."""
    from tqdm import tqdm

    return tqdm(total=total, unit="item", file=sys.stderr, disable=not sys.stderr.isatty())
