"""Runs one evaluation: asks both models for every golden item (and once more for the seed
replay), and scores outputs while later items are still being generated.

Images are checked in small groups as they arrive and then dropped, so memory stays flat
however large the golden set is; LPIPS still runs batched within each group."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .checker import Checker, EvaluationConfig, Generated
from .client import GenerationResult, GeneratorClient, byte_budget
from .golden import GoldenItem
from .ocr import OcrEngine
from .perceptual import LpipsScorer
from .results import ItemResult


async def _generate_item(
    item: GoldenItem, client: GeneratorClient, replay: bool
) -> tuple[GenerationResult, GenerationResult | None]:
    spec = item.spec
    first = await client.generate(spec.prompt, spec.seed, spec.size, spec.alpha, item.request)
    if not replay or not first.ok:
        return first, None
    second = await client.generate(spec.prompt, spec.seed, spec.size, spec.alpha, item.request)
    return first, second


async def run_evaluation(
    items: Sequence[GoldenItem],
    config: EvaluationConfig,
    scorer: LpipsScorer,
    ocr: OcrEngine | None,
    *,
    progress: Callable[[int], Any] | None = None,
) -> tuple[list[ItemResult], dict[str, dict[str, Any]]]:
    """Per-item results in golden-set order, and each model's client statistics."""
    checker = Checker(config, scorer, ocr)
    queue: asyncio.Queue[Generated | None] = asyncio.Queue(maxsize=2 * config.check_group)
    results: dict[str, ItemResult] = {}

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

        async def produce(item: GoldenItem) -> None:
            pair = await asyncio.gather(
                _generate_item(item, stable, config.replay),
                _generate_item(item, candidate, config.replay),
            )
            await queue.put(Generated(item, pair[0], pair[1]))

        async def consume() -> None:
            finished = False
            while not finished:
                first = await queue.get()
                group = []
                if first is None:
                    break
                group.append(first)
                while len(group) < config.check_group and not queue.empty():
                    nxt = queue.get_nowait()
                    if nxt is None:
                        finished = True
                        break
                    group.append(nxt)
                for result in await asyncio.to_thread(checker.check_group, group):
                    results[result.item.id] = result
                if progress is not None:
                    progress(len(group))

        # Requests are issued in golden-set order but bounded per model by the clients'
        # semaphores; a small window keeps early items from waiting behind the whole set.
        window = asyncio.Semaphore(max(2 * config.concurrency, config.check_group))

        async def bounded(item: GoldenItem) -> None:
            async with window:
                await produce(item)

        consumer = asyncio.create_task(consume())
        try:
            await asyncio.gather(*(bounded(item) for item in items))
        finally:
            await queue.put(None)
            await consumer
        stats = {"stable": stable.stats.to_dict(), "candidate": candidate.stats.to_dict()}
    return [results[item.id] for item in items], stats


def progress_bar(total: int) -> Any:
    """A bar on stderr when a person is watching; silent in a Job's log."""
    from tqdm import tqdm

    return tqdm(total=total, unit="item", file=sys.stderr, disable=not sys.stderr.isatty())
