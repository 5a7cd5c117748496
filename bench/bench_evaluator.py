"""Evaluator benchmark: LPIPS pairs/s batched vs one pair per call, OCR images/s, and the
wall time of whole evaluations against the ideal, with the evaluator's peak memory.

The ideal is the larger of two bounds. Generator-bound: each model serves items x 2 requests
(the image and its seed replay) at latency_ms each, concurrency at a time, both models at
once. Compute-bound: the measured time to check an item (both models' outputs, on one
thread, as a check worker does, while a worker on every other usable core does the same),
on average over every item of the golden set, whose texts and so OCR times differ, x items /
usable cores; the ratio against the items checked alone is printed too. The
generators run in processes of their own and answer with the images the reference
generator rendered for the golden set, so that, as in a cluster, no rendering takes this
machine's cores; the CPU time they used is printed too.

    python bench/bench_evaluator.py [--items 16] [--latency-ms 200] [--size 256x256]
        [--device auto|cpu|cuda] [--rss-items 16,512] [--timeline] [--replays-differ]
        [--ocr both|off|on]

--timeline prints where the evaluation's time went (evaluator_timeline.py) after each run.
--replays-differ makes every seed replay differ from its first image by one bit, so that
LPIPS computes every replay distance (a model whose replays are not bit-identical).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from evaluator_bench import (
    RecordedGenerator,
    Series,
    bench_lpips,
    bench_ocr,
    evaluator_cpu_seconds,
    machine,
    peak_rss,
    write_golden,
)
from evaluator_timeline import describe
from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator import check_pool
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate
from pixelproof_evaluator.golden import load_golden_dir
from pixelproof_evaluator.item_checks import CheckSettings, Generated
from pixelproof_evaluator.resources import usable_cores
from pixelproof_evaluator.timeline import TIMELINE_ENV
from recorded_generator import replay_variant

CONTRACT = GeneratorContract(timeout_seconds=120)
OCR_RUNS = {"both": (False, True), "off": (False,), "on": (True,)}
GATES = {
    "lpips": {"maxMean": 0.05},
    "typography": {"minPassRate": 0.9},
    "determinism": {"maxReplayDistance": 0.01},
    "failureRate": {"max": 0.02},
    "versusStable": {"maxRegression": 0.01},
    "ssim": {"minMean": 0.5},
}


def gates(typography: bool) -> QualityGates:
    parsed = QualityGates.model_validate(GATES)
    return parsed if typography else parsed.model_copy(update={"typography": None})


def _item_times(
    golden: Path, typography: bool, images: Path, at: float, start: int, replays_differ: bool
) -> list[tuple[float, float]]:
    """In a check worker: each item's checks as the worker runs them (LPIPS and OCR on one
    thread, thumbnails included), its wall and CPU seconds, from the `start`th item on (so
    that workers measured together check different items); starting at monotonic time
    `at`, which all processes share, so that workers measured together run together."""
    items = load_golden_dir(golden).items
    settings = CheckSettings(gates(typography), images)
    times = []
    while time.monotonic() < at:
        time.sleep(0.001)
    for item in items[start:] + items[:start]:
        # The generators answer with the captured images, so these are what they send.
        reply = GenerationResult(item.reference_png, 0.0, 1)
        replay = reply
        if replays_differ:
            replay = GenerationResult(replay_variant(item.reference_png), 0.0, 1)
        generated = Generated(item, (reply, replay), (reply, replay))
        started, cpu = time.perf_counter(), time.process_time()
        check_pool._check(generated, settings, "sample", replays_follow=False)
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    return times


class ItemTimer:
    """Check workers of their own, to time the items' checks in: alone, and on every
    usable core at once. Two vCPUs need not give twice the throughput of one (they may
    share a physical core, its caches, the memory bus); with every core busy, as in an
    evaluation, one item takes longer, and that is the machine's compute bound."""

    def __init__(self, cores: int, *, replays_differ: bool) -> None:
        self.replays_differ = replays_differ
        context = multiprocessing.get_context("spawn")
        self._executors = [
            ProcessPoolExecutor(
                1, mp_context=context, initializer=check_pool._start_worker, initargs=(None, True)
            )
            for _ in range(cores)
        ]

    def __enter__(self) -> ItemTimer:
        for executor in self._executors:
            executor.submit(time.monotonic).result()
        return self

    def __exit__(self, *exc: object) -> None:
        for executor in self._executors:
            executor.shutdown()

    def _measure(
        self, count: int, golden: Path, typography: bool, images: Path
    ) -> tuple[float, float]:
        at = time.monotonic() + 0.2
        items = len(load_golden_dir(golden).items)
        futures = [
            e.submit(
                _item_times,
                golden,
                typography,
                images / str(i),
                at,
                i * items // count,
                self.replays_differ,
            )
            for i, e in enumerate(self._executors[:count])
        ]
        times = [t for f in futures for t in f.result()]
        return statistics.mean(t[0] for t in times), statistics.mean(t[1] for t in times)

    def alone(self, golden: Path, typography: bool, images: Path) -> tuple[float, float]:
        """The mean wall and CPU seconds of an item checked while the other cores idle."""
        return self._measure(1, golden, typography, images)

    def all_cores(self, golden: Path, typography: bool, images: Path) -> tuple[float, float]:
        """The same with a worker checking items on every usable core at once."""
        return self._measure(len(self._executors), golden, typography, images)


@contextmanager
def generators(
    golden: Path, latency_ms: float, *, replays_differ: bool = False
) -> Iterator[tuple[RecordedGenerator, RecordedGenerator]]:
    with (
        RecordedGenerator(golden, latency_ms, replays_differ=replays_differ) as stable,
        RecordedGenerator(golden, latency_ms, replays_differ=replays_differ) as candidate,
    ):
        yield stable, candidate


def run(
    models: Models,
    golden: Path,
    out: Path,
    urls: tuple[str, str],
    typography: bool,
    concurrency: int,
) -> tuple[float, float, str]:
    options = EvaluateOptions(
        stable_url=urls[0],
        candidate_url=urls[1],
        contract=CONTRACT,
        gates=gates(typography),
        out=out,
        golden=golden,
        concurrency=concurrency,
    )
    cpu, main_cpu = evaluator_cpu_seconds(), time.process_time()
    started = time.monotonic()
    summary = evaluate(options, models)
    ended = time.monotonic()
    timeline = os.environ.get(TIMELINE_ENV)
    if timeline:
        lines = describe(Path(timeline), started, ended, time.process_time() - main_cpu)
        print("\n".join(lines))
    return ended - started, evaluator_cpu_seconds() - cpu, summary.verdict


def bench_evaluation(models: Models, args: argparse.Namespace, tmp: Path, workers: int) -> None:
    golden = write_golden(tmp / f"golden-{args.items}", args.items, args.size)
    cores = usable_cores()
    differ = args.replays_differ
    with (
        ItemTimer(cores, replays_differ=differ) as timer,
        generators(golden, args.latency_ms, replays_differ=differ) as (stable, candidate),
    ):
        for typography in OCR_RUNS[args.ocr]:
            alone, _ = timer.alone(golden, typography, tmp / "sample-images")
            per_item, per_item_cpu = timer.all_cores(golden, typography, tmp / "sample-images")
            cpu_before = stable.cpu_seconds() + candidate.cpu_seconds()
            wall, cpu, verdict = run(
                models,
                golden,
                tmp / "report",
                (stable.url, candidate.url),
                typography,
                args.concurrency,
            )
            generator_cpu = stable.cpu_seconds() + candidate.cpu_seconds() - cpu_before
            generator_bound = args.items * 2 * args.latency_ms / 1000.0 / args.concurrency
            compute_bound = per_item * args.items / cores
            ideal_alone = max(generator_bound, alone * args.items / cores)
            # Above 1, the pipeline costs CPU of its own: what a shared machine still shows.
            overhead = cpu / (per_item_cpu * args.items)
            ideal = max(generator_bound, compute_bound)
            label = "with OCR" if typography else "without OCR"
            print(
                f"evaluation {label}: {args.items} items {args.size}, generator {args.latency_ms:.0f} ms, "
                f"concurrency {args.concurrency}, {workers} check workers: wall {wall:.2f} s, "
                f"ideal {ideal:.2f} s = max(generator-bound {generator_bound:.2f} s, compute-bound "
                f"{compute_bound:.2f} s = {per_item * 1000:.0f} ms/item with all {cores} cores "
                f"checking x {args.items} / {cores} cores), ratio {wall / ideal:.2f}x "
                f"(verdict {verdict}); against the items checked alone ({alone * 1000:.0f} ms/item, "
                f"ideal {ideal_alone:.2f} s) {wall / ideal_alone:.2f}x; the evaluator used "
                f"{cpu:.2f} s CPU ({cpu / args.items * 1000:.0f} ms/item against "
                f"{per_item_cpu * 1000:.0f} ms CPU an item checked on its own; {cpu / wall:.2f} of "
                f"{cores} cores on average; {overhead:.2f}x the items' own CPU), the generators "
                f"{generator_cpu:.2f} s"
            )


def bench_memory(models: Models, args: argparse.Namespace, tmp: Path) -> None:
    """Peak memory of the evaluator's processes by golden-set size: flat when images stream."""
    for count in (int(n) for n in args.rss_items.split(",") if n):
        golden = write_golden(tmp / f"rss-{count}", count, args.rss_size)
        with generators(golden, args.rss_latency_ms) as (stable, candidate):
            series = Series()
            with peak_rss(series):
                wall, _, verdict = run(
                    models,
                    golden,
                    tmp / f"rss-report-{count}",
                    (stable.url, candidate.url),
                    False,
                    args.concurrency,
                )
            print(
                f"memory at {count} items {args.rss_size} (without OCR, generator {args.rss_latency_ms:.0f} ms): "
                f"peak RSS {series.describe()}; wall {wall:.2f} s (verdict {verdict})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--size", default="256x256")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=32)
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="where LPIPS runs"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="check workers (default: usable cores)"
    )
    parser.add_argument(
        "--rss-items", default="16,512", help="golden-set sizes to measure memory at"
    )
    parser.add_argument("--rss-latency-ms", type=float, default=20.0)
    parser.add_argument("--rss-size", default="256x256", help="image size of the memory runs")
    parser.add_argument(
        "--ocr", choices=tuple(OCR_RUNS), default="both", help="evaluations without OCR, with it"
    )
    parser.add_argument("--timeline", action="store_true", help="print each run's timeline")
    parser.add_argument(
        "--replays-differ",
        action="store_true",
        help="seed replays one bit off their first images (recorded_generator.py)",
    )
    args = parser.parse_args()
    workers = usable_cores() if args.workers is None else args.workers
    models = Models(check_workers=workers, device=None if args.device == "auto" else args.device)
    print(machine(models.scorer.device))
    width, height = (int(v) for v in args.size.split("x"))
    bench_lpips(models, width, height, args.pairs)
    if (width, height) != (512, 512):
        bench_lpips(models, 512, 512, max(8, args.pairs // 2))
    bench_ocr(models, width, height, 8)
    with tempfile.TemporaryDirectory() as tmp:
        if args.timeline:
            # Set before the check workers start, so that they record too.
            os.environ[TIMELINE_ENV] = str(Path(tmp) / "timeline.jsonl")
        try:
            pool = models.pool
            if pool is not None:
                print(
                    f"check workers: {pool.workers} ready in {pool.wait_ready():.2f} s (each loads OCR and LPIPS once)"
                )
            bench_evaluation(models, args, Path(tmp), workers if pool is not None else 1)
            bench_memory(models, args, Path(tmp))
        finally:
            models.close()


if __name__ == "__main__":
    main()
