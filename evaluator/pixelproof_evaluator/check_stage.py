"""The check and LPIPS stages of an evaluation, fed by the generation stage's queue.

Checks run in a pool of worker processes when there is one, else in one thread; LPIPS runs
batched wherever the scorer lives. An item's first generations and its seed replays arrive
as two pieces of work, checked apart (possibly by two workers, in either order) and put
together here into the item's result."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from .check_pool import CheckPool
from .checks.classifier import build_classifier
from .golden import GoldenItem
from .item_checks import CheckedItem, CheckSettings, CheckTools, Generated, check_item
from .item_lpips import identical_replays, join_replays, replay_scores, score_lpips
from .ocr import OcrEngine
from .perceptual import LpipsScorer
from .reference_prep import PreparedReference, prepare_reference
from .results import ItemResult
from .timeline import span


async def together(*steps: Coroutine[Any, Any, None]) -> None:
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


class CheckStage:
    """`replays` says whether every item's seed replays follow its first generations."""

    def __init__(
        self,
        settings: CheckSettings,
        scorer: LpipsScorer,
        ocr: OcrEngine | None,
        pool: CheckPool | None,
        *,
        group: int,
        replays: bool,
        progress: Callable[[int], Any] | None,
    ) -> None:
        self.settings = settings
        self.scorer = scorer
        self.pool = pool
        self.group = group
        self.replays = replays
        gate = settings.gates.classifier
        # Built here even when workers check: a bad model file then fails before any request.
        classifier = build_classifier(gate) if gate is not None else None
        self.tools = CheckTools(ocr, classifier)
        self.progress = progress
        self.results: dict[str, ItemResult] = {}
        self._firsts: dict[str, CheckedItem] = {}
        self._replays: dict[str, CheckedItem] = {}

    @property
    def preparing_lanes(self) -> int:
        """How many references can be prepared at once (a worker each, or this process's one
        thread); 0 where none is (live prompts, or LPIPS scored apart in a GPU's batches)."""
        if self.settings.stable_reference:
            return 0
        if self.pool is None:
            return 1
        return self.pool.workers if self.pool.lpips_here else 0

    async def prepare(self, item: GoldenItem) -> PreparedReference | None:
        """The item's reference made ready where its LPIPS will be scored: here, or kept in
        the worker that will check the item (then None, as where the item has no reference
        or LPIPS is scored apart from the checks, in a GPU's batches)."""
        if self.settings.stable_reference or not item.reference_png:
            return None
        if self.pool is None:
            return await asyncio.to_thread(prepare_reference, item, self.scorer)
        if self.pool.lpips_here:
            # Kept in the worker that will check the item, which finds it there.
            await self.pool.prepare(item)
        return None

    def _record(self, checked: Sequence[CheckedItem]) -> None:
        complete = 0
        for c in checked:
            item_id = c.item.id
            (self._replays if c.replays_only else self._firsts)[item_id] = c
            if item_id not in self._firsts or (self.replays and item_id not in self._replays):
                continue
            first = self._firsts.pop(item_id)
            replays = self._replays.pop(item_id, None)
            if replays is not None:
                # Empty where workers scored the replays: they kept the features.
                replay_scores(self.scorer, first.features, replays)
                join_replays(first, replays)
            self.results[item_id] = ItemResult(
                first.item, first.stable, first.candidate, first.images
            )
            complete += 1
        if self.progress is not None and complete:
            self.progress(complete)

    def _without_identical(self, checked: Sequence[CheckedItem]) -> None:
        """Replays that are their first images (recorded by now) need no features."""
        for c in checked:
            first = self._firsts.get(c.item.id) if c.replays_only else None
            if first is not None:
                identical_replays(first.features, c)

    def _scored(self, checked: Sequence[CheckedItem]) -> None:
        # In a thread: the replays' digests hash every pixel, off the event loop.
        self._without_identical(checked)
        score_lpips(self.scorer, checked)

    def _check_group(self, group: Sequence[Generated]) -> list[CheckedItem]:
        checked = [check_item(g, self.settings, self.tools) for g in group]
        self._scored(checked)
        return checked

    async def run(self, generated: asyncio.Queue[Generated | None]) -> None:
        if self.pool is None:
            async for group in _groups(generated, self.group):
                self._record(await asyncio.to_thread(self._check_group, group))
            return
        scoring: asyncio.Queue[CheckedItem | None] = asyncio.Queue(self.group * 2)
        steps = [self._check_in_pool(self.pool, generated, scoring)]
        if not self.pool.lpips_here:
            steps.append(self._score(scoring))
        await together(*steps)

    async def _check_in_pool(
        self,
        pool: CheckPool,
        generated: asyncio.Queue[Generated | None],
        scoring: asyncio.Queue[CheckedItem | None],
    ) -> None:
        # Two pieces of work per worker: one being checked, one already waiting for it.
        slots = asyncio.Semaphore(2 * pool.workers)

        async def one(item: Generated) -> None:
            try:
                with span("in pool", item.item.id):
                    checked = await pool.check(item, self.settings, replays_follow=self.replays)
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
        async for group in _groups(scoring, self.group):
            await asyncio.to_thread(self._scored, group)
            self._record(group)
