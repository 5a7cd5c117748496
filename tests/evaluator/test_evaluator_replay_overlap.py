"""An item's first generations are checked while its seed replays are still being
generated: with every replay held back by the generator, each item's checks (its report
thumbnails are their last step) still finish, and once the replays come the evaluation
folds their distances into the same items. A real reference generator, real checks."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from evaluator_support import GATES
from generator_proxy import proxy_url, start_proxy

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.golden import load_golden_dir
from pixelproof_evaluator.results import ItemResult
from pixelproof_evaluator.runner import EvaluationConfig, run_evaluation
from pixelproof_testkit.polling import wait_for

HOLD_TIMEOUT_SECONDS = 150.0
CHECKED_TIMEOUT_SECONDS = 90.0
"""Check workers run at a lower priority than everything else: on a machine busy with
other tests they get the cores last, so their checks can take many times as long."""


class _HeldReplays:
    """Counts each (prompt, seed) one model is asked for and holds every repeat until
    released."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self._lock = threading.Lock()
        self._seen: Counter[tuple[str, int]] = Counter()
        self.held = 0

    def arrive(self, body: dict[str, Any]) -> None:
        key = (str(body.get("prompt")), int(body.get("seed", 0)))
        with self._lock:
            self._seen[key] += 1
            repeat = self._seen[key] > 1
            self.held += repeat
        if repeat:
            self.release.wait(HOLD_TIMEOUT_SECONDS)


@dataclass
class _Generators:
    stable: str
    candidate: str
    replays: list[_HeldReplays]
    release: threading.Event

    @property
    def held(self) -> int:
        return sum(r.held for r in self.replays)


@pytest.fixture
def held_generators(start_refgen: Any) -> Iterator[_Generators]:
    release = threading.Event()
    replays = [_HeldReplays(release) for _ in range(2)]
    servers = [start_proxy(start_refgen().url, r.arrive) for r in replays]
    stable, candidate = (proxy_url(s) for s in servers)
    yield _Generators(stable, candidate, replays, release)
    release.set()
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("in_workers", [False, True], ids=["one-thread", "check-workers"])
def test_first_generations_are_checked_while_their_replays_are_held(
    held_generators: _Generators, golden_dir: Path, tmp_path: Path, models: Models, in_workers: bool
) -> None:
    generators = held_generators
    items = load_golden_dir(golden_dir).items[:4]
    pool = models.pool if in_workers else None
    assert pool is not None or not in_workers
    images = tmp_path / "images"
    config = EvaluationConfig(
        stable_url=generators.stable,
        candidate_url=generators.candidate,
        contract=GeneratorContract(timeout_seconds=HOLD_TIMEOUT_SECONDS + 30),
        gates=QualityGates.model_validate(GATES),
        image_dir=images,
    )

    def evaluate() -> list[ItemResult]:
        results, _ = asyncio.run(run_evaluation(items, config, models.scorer, None, pool=pool))
        return results

    with ThreadPoolExecutor(1) as runner:
        running: Future[list[ItemResult]] = runner.submit(evaluate)
        heatmaps = [images / f"{item.id}.heatmap.png" for item in items]
        wait_for(
            lambda: generators.held == 2 * len(items) and all(p.exists() for p in heatmaps),
            timeout=CHECKED_TIMEOUT_SECONDS,
            what="every item checked with both models' replays still held",
        )
        assert not running.done()
        generators.release.set()
        results = running.result(timeout=HOLD_TIMEOUT_SECONDS)
    assert [r.item.id for r in results] == [item.id for item in items]
    for result in results:
        for model in (result.stable, result.candidate):
            assert model.lpips is not None
            assert model.replay is not None and model.replay.ok
            assert model.replay_format is not None and model.replay_format.decoded
            assert model.replay_distance is not None
