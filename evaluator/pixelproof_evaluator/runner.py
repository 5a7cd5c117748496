"""Runs one evaluation: asks both models for every golden item (and once more for the seed
replay), and checks outputs while later items are still being generated.

Three stages overlap: generation (bounded per model by the clients' concurrency) feeds a
bounded queue with each item's first generations and then its replays; checks drain it
(check_stage.py). Each item's images are dropped once it is checked, so memory stays flat
however large the golden set is."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

from .check_pool import CheckPool
from .check_stage import CheckStage, together
from .client import GenerationResult, GeneratorClient, RetryPolicy, byte_budget
from .golden import GoldenItem
from .item_checks import CheckSettings, Generated
from .item_lpips import FEATURE_BYTES_PER_PIXEL
from .ocr import OcrEngine
from .perceptual import LpipsScorer
from .reference_prep import PreparedReference
from .request_body import request_inputs
from .results import ItemResult
from .timeline import span

AHEAD_FEATURE_BYTES = 256 * 1024 * 1024
"""The features of references prepared ahead beyond the request window, all workers
together: at 512x512 this is the whole window again, at 1024x1024 none beyond it."""


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

    @property
    def request_window(self) -> int:
        """How many items may have requests out at once."""
        return max(2 * self.concurrency, self.check_group)


async def _generate(item: GoldenItem, client: GeneratorClient) -> GenerationResult:
    spec = item.spec
    return await client.generate(
        spec.prompt, spec.seed, item.size, spec.alpha, item.request, request_inputs(item)
    )


async def _replay(
    item: GoldenItem, client: GeneratorClient, first: GenerationResult
) -> GenerationResult | None:
    # A model that failed the first request is not asked again: a replay would only add
    # to a load it is already failing under.
    return await _generate(item, client) if first.ok else None


def ahead_count(items: Sequence[GoldenItem], window: int) -> int:
    """How many items' references may be prepared before any image arrives: twice the
    request window, fewer for large images, whose features would otherwise crowd the
    workers' memory, but never fewer than the window."""
    largest = max((item.width * item.height for item in items), default=0)
    by_memory = AHEAD_FEATURE_BYTES // max(1, FEATURE_BYTES_PER_PIXEL * largest)
    return min(len(items), max(window, min(2 * window, by_memory)))


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
    settings = CheckSettings(config.gates, config.image_dir, config.stable_reference)
    checks = CheckStage(
        settings,
        scorer,
        ocr,
        pool,
        group=config.check_group,
        replays=config.replay,
        progress=progress,
    )
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
        window = asyncio.Semaphore(config.request_window)
        images_arrived = asyncio.Event()
        ahead: dict[str, asyncio.Future[PreparedReference | None]] = {}

        async def prepare_ahead() -> None:
            """Until the first images arrive the checks would idle: the references of the
            items asked for first are prepared meanwhile, one a lane at a time, so that
            when images arrive no worker has more than one preparation left before them."""
            queued = iter(items[: ahead_count(items, config.request_window)])

            async def lane() -> None:
                while not images_arrived.is_set() and (item := next(queued, None)) is not None:
                    ahead[item.id] = asyncio.ensure_future(checks.prepare(item))
                    await asyncio.wait([ahead[item.id]])

            await asyncio.gather(*(lane() for _ in range(checks.preparing_lanes)))

        async def produce(item: GoldenItem) -> None:
            async with window:
                with span("generate", item.id):
                    firsts = await asyncio.gather(
                        _generate(item, stable), _generate(item, candidate)
                    )
                images_arrived.set()
                # No preparation starts once images have arrived, so this one never will.
                reference = ahead.pop(item.id, None)
                ready = await reference if reference is not None else None
                # Checked while the replays are generated: the first results wait one
                # round trip, not two.
                first = Generated(item, (firsts[0], None), (firsts[1], None), reference=ready)
                await queue.put(first)
                if not config.replay:
                    return
                with span("generate replay", item.id):
                    replays = await asyncio.gather(
                        _replay(item, stable, firsts[0]), _replay(item, candidate, firsts[1])
                    )
                pairs = (firsts[0], replays[0]), (firsts[1], replays[1])
                await queue.put(Generated(item, *pairs, replays_only=True))

        async def generate_all() -> None:
            await asyncio.gather(*(produce(item) for item in items))
            await queue.put(None)

        try:
            await together(generate_all(), checks.run(queue), prepare_ahead())
        finally:
            for reference in ahead.values():
                reference.cancel()
        stats = {"stable": stable.stats.to_dict(), "candidate": candidate.stats.to_dict()}
    return [checks.results[item.id] for item in items], stats


def progress_bar(total: int) -> Any:
    """A bar on stderr when a person is watching; silent in a Job's log."""
    from tqdm import tqdm

    return tqdm(total=total, unit="item", file=sys.stderr, disable=not sys.stderr.isatty())
