"""Checking items in worker processes gives the very verdicts and numbers that checking them
one by one in the evaluator's own thread gives: real generators, real OCR, LPIPS, SSIM and a
real ONNX classifier, in real worker processes. And a worker that dies ends the run with
a reason instead of hanging it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from evaluator_support import GATES, TYPOGRAPHY_GATES
from tiny_onnx import red_marker_classifier

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.check_pool import WORKER_NICENESS, CheckPool, CheckWorkerError
from pixelproof_evaluator.checks.determinism import DIFFERENT_SIZE_DISTANCE
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate
from pixelproof_evaluator.golden import load_golden_dir
from pixelproof_evaluator.item_checks import CheckedItem, CheckSettings, Generated
from pixelproof_evaluator.runner import EvaluationConfig, run_evaluation
from pixelproof_testkit.polling import wait_for

CLASSIFIER_SIDE = 32
# A candidate wrong in several ways, so most numbers are not trivial. Only faults that every
# call draws the same: random ones follow the order requests arrive in, which no two runs share.
CANDIDATE_FAULTS: dict[str, Any] = {
    "blur": 0.8,
    "garble_small_text": 30.0,
    "color_shift": 0.05,
    "marker_rate": 1.0,
}


def _gates(tmp_path: Path) -> QualityGates:
    path = red_marker_classifier(tmp_path / "red.onnx", CLASSIFIER_SIDE)
    classifier = {
        "maxExcessRate": 0.05,
        "model": {
            "name": "red-marker",
            "version": "1",
            "path": str(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "inputSize": CLASSIFIER_SIDE,
            "flaggedClasses": [0],
        },
    }
    return QualityGates.model_validate(
        {**GATES, **TYPOGRAPHY_GATES, "ssim": {"minMean": 0.5}, "classifier": classifier}
    )


def _report(out: Path) -> dict[str, Any]:
    doc = json.loads((out / "report.json").read_text())
    for item in doc["items"]:
        for role in ("stable", "candidate"):
            # How long each reply took is the one thing two runs cannot share.
            item[role].pop("latencyMs")
    return {
        "summary": {
            k: v for k, v in doc["summary"].items() if k not in ("durationSeconds", "report")
        },
        "items": doc["items"],
    }


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in _differences(a.get(k), b.get(k), f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{where}[{i}]")
        ]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def _evaluate(
    urls: tuple[str, str], golden: Path, gates: QualityGates, out: Path, models: Models
) -> dict[str, Any]:
    evaluate(
        EvaluateOptions(
            stable_url=urls[0],
            candidate_url=urls[1],
            contract=GeneratorContract(timeout_seconds=30),
            gates=gates,
            out=out,
            golden=golden,
            concurrency=4,
        ),
        models,
    )
    return _report(out)


def test_worker_processes_give_the_same_verdicts_and_numbers_as_one_thread(
    start_refgen: Any, golden_dir: Path, tmp_path: Path
) -> None:
    stable, candidate = start_refgen(), start_refgen(**CANDIDATE_FAULTS)
    urls = (stable.url, candidate.url)
    gates = _gates(tmp_path)
    inline = Models(check_workers=0)
    pooled = Models(check_workers=2)
    try:
        assert inline.pool is None and pooled.pool is not None
        one_thread = _evaluate(urls, golden_dir, gates, tmp_path / "inline", inline)
        in_workers = _evaluate(urls, golden_dir, gates, tmp_path / "pooled", pooled)
    finally:
        pooled.close()
    summary = one_thread["summary"]
    verdicts = {g["name"]: g["verdict"] for g in summary["gates"]}
    # The faults must have moved the gates this comparison is about.
    assert {"Pass", "Fail"} <= set(verdicts.values()), verdicts
    assert all(i["candidate"]["flagged"] for i in one_thread["items"])
    assert any(i["candidate"].get("typography") for i in one_thread["items"])
    assert not _differences(one_thread, in_workers)


def _config(stable: str, candidate: str) -> EvaluationConfig:
    return EvaluationConfig(
        stable_url=stable,
        candidate_url=candidate,
        contract=GeneratorContract(timeout_seconds=30),
        gates=QualityGates.model_validate(GATES),
    )


def test_lpips_batched_in_this_process_gives_the_numbers_workers_give(
    start_refgen: Any, golden_dir: Path, tmp_path: Path, models: Models
) -> None:
    """Where a GPU holds the scorer the workers leave LPIPS to it; the scores are the same."""
    stable, candidate = start_refgen(), start_refgen(**CANDIDATE_FAULTS)
    items = load_golden_dir(golden_dir).items
    config = _config(stable.url, candidate.url)
    scores = {}
    for lpips_here in (True, False):
        pool = CheckPool(2, None, lpips_here=lpips_here)
        try:
            results, _ = asyncio.run(run_evaluation(items, config, models.scorer, None, pool=pool))
        finally:
            pool.close()
        scores[lpips_here] = [
            (r.candidate.lpips, r.candidate.replay_distance, r.stable.lpips) for r in results
        ]
    assert all(value is not None for row in scores[True] for value in row)
    assert scores[False] == scores[True]


def test_a_worker_that_dies_ends_the_evaluation_with_a_reason(
    start_refgen: Any, golden_dir: Path, models: Models
) -> None:
    server = start_refgen()
    items = load_golden_dir(golden_dir).items
    config = _config(server.url, server.url)
    before = {p.pid for p in multiprocessing.active_children()}
    pool = CheckPool(2, None, lpips_here=True)
    try:
        pool.wait_ready()
        workers = [p.pid for p in multiprocessing.active_children() if p.pid not in before]
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        wait_for(
            lambda: workers[0] not in {p.pid for p in multiprocessing.active_children()}, timeout=30
        )
        with pytest.raises(CheckWorkerError, match="check worker process died"):
            asyncio.run(
                asyncio.wait_for(run_evaluation(items, config, models.scorer, None, pool=pool), 120)
            )
        assert pool.broken
    finally:
        pool.close()


def test_an_items_pieces_meet_in_one_worker_and_its_features_stay_there(
    golden_dir: Path,
) -> None:
    """Features are megabytes an image: each piece comes back without them, and the replays'
    piece still finds its first images' features, in the worker that kept them."""
    items = load_golden_dir(golden_dir).items[:4]
    settings = CheckSettings(QualityGates.model_validate(GATES))

    async def main(pool: CheckPool) -> list[tuple[CheckedItem, CheckedItem]]:
        pool.start()
        for item in items:
            await pool.prepare(item)
        pieces = []
        for item, other in zip(items, items[1:] + items[:1], strict=True):
            reply = GenerationResult(item.reference_png, 0.0, 1)
            # Replays that differ from their first images, so that their distances need
            # the first images' features, not only their pixels' digests.
            replay = GenerationResult(other.reference_png, 0.0, 1)
            firsts = Generated(item, (reply, None), (reply, None))
            replays = Generated(item, (reply, replay), (reply, replay), replays_only=True)
            pieces.append(
                (
                    await pool.check(firsts, settings, replays_follow=True),
                    await pool.check(replays, settings, replays_follow=True),
                )
            )
        return pieces

    pool = CheckPool(2, None, lpips_here=True)
    try:
        pieces = asyncio.run(main(pool))
    finally:
        pool.close()
    for first, replays in pieces:
        assert first.features == {} and replays.features == {}
        # The generators answered with the references themselves.
        assert (first.stable.lpips, first.candidate.lpips) == (0.0, 0.0)
        distances = (replays.stable.replay_distance, replays.candidate.replay_distance)
        assert all(d is not None and 0 < d < DIFFERENT_SIZE_DISTANCE for d in distances), distances


def test_check_workers_yield_the_cores_to_the_evaluation_loop() -> None:
    before = {p.pid for p in multiprocessing.active_children()}
    pool = CheckPool(2, None, lpips_here=False)
    try:
        pool.wait_ready()
        children = [p.pid for p in multiprocessing.active_children()]
        workers = [pid for pid in children if pid is not None and pid not in before]
        own = os.getpriority(os.PRIO_PROCESS, 0)
        niceness = [os.getpriority(os.PRIO_PROCESS, pid) for pid in workers]
    finally:
        pool.close()
    assert niceness == [min(19, own + WORKER_NICENESS)] * 2, (own, niceness)
