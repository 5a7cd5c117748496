"""How many check workers an evaluator starts: one per usable core, as many as its memory
limit holds at the golden set's largest image. A worker's share was measured at 256x256
and 1024x1024 by bench/bench_evaluator.py; larger images keep larger LPIPS features."""

from __future__ import annotations

from pathlib import Path

from pixelproof_evaluator.check_pool import (
    MAIN_MEMORY_BYTES,
    WORKER_MEMORY_BYTES,
    default_workers,
    worker_memory_bytes,
)
from pixelproof_evaluator.evaluate import POOL_MIN_ITEMS, Models
from pixelproof_evaluator.golden import load_golden_dir

GIB = 1024**3


def test_a_limit_shares_out_fewer_workers_at_larger_images() -> None:
    assert default_workers(256 * 256, cores=8, limit=8 * GIB) == 8
    assert default_workers(256 * 256, cores=8, limit=4 * GIB) == 4
    # 1024x1024: a worker's share grows by about 450 MiB.
    assert 1150 * 1024**2 < worker_memory_bytes(1024 * 1024) < 1250 * 1024**2
    assert default_workers(1024 * 1024, cores=8, limit=8 * GIB) == 5
    assert default_workers(1024 * 1024, cores=8, limit=2 * GIB) == 0
    # Small images never get less than the 256x256 share, nor more workers than cores.
    assert worker_memory_bytes(64 * 64) == WORKER_MEMORY_BYTES
    assert default_workers(64 * 64, cores=2, limit=64 * GIB) == 2
    assert default_workers(cores=3, limit=MAIN_MEMORY_BYTES + 3 * WORKER_MEMORY_BYTES) == 3


def test_models_size_their_pool_by_the_golden_sets_images(golden_dir: Path) -> None:
    items = load_golden_dir(golden_dir).items
    largest = max(item.width * item.height for item in items)
    unsized = Models(check_workers=None)
    try:
        # Fewer items than make a pool worth its start-up are checked in-process.
        assert unsized.pool_for(items[:1]) is None
        pool = unsized.pool_for(items * POOL_MIN_ITEMS)
        expected = default_workers(largest)
        assert (pool.workers if pool is not None else 0) == (expected if expected >= 2 else 0)
    finally:
        unsized.close()
    asked = Models(check_workers=2)
    try:
        assert asked.pool_for(items[:1]) is not None, "workers asked for are started at once"
        assert asked.pool_for([]) is None
    finally:
        asked.close()
