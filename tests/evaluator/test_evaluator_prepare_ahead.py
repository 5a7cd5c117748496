"""While an evaluation's first requests are out its checks have nothing to do, so the
references of the items asked for first, beyond the request window, are decoded and put
through LPIPS's network meanwhile; none is started once images have arrived. Real
reference generators behind a proxy that holds the requests, real decoding, real LPIPS;
the evaluator's own timeline says what ran when."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evaluator_support import GATES, MAX_PIXELS, image_again
from generator_proxy import proxy_url, start_proxy

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.golden import load_golden_dir
from pixelproof_evaluator.images import decode_png
from pixelproof_evaluator.runner import EvaluationConfig, ahead_count, run_evaluation
from pixelproof_evaluator.timeline import TIMELINE_ENV, read_spans
from pixelproof_testkit.polling import wait_for

CONTRACT = GeneratorContract(timeout_seconds=60)
HOLD_SECONDS = 60.0


def _spans(timeline: Path, phase: str) -> list[dict[str, Any]]:
    return [s for s in read_spans(timeline) if s["phase"] == phase]


@pytest.fixture
def released() -> Iterator[threading.Event]:
    release = threading.Event()
    yield release
    release.set()


def test_references_beyond_the_window_are_prepared_before_the_first_images(
    start_refgen: Any,
    golden_dir: Path,
    models: Models,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    released: threading.Event,
) -> None:
    timeline = tmp_path / "timeline.jsonl"
    monkeypatch.setenv(TIMELINE_ENV, str(timeline))
    candidate = start_refgen(blur=0.8).url
    proxies = [
        start_proxy(url, lambda _body: released.wait(HOLD_SECONDS))
        for url in (start_refgen().url, candidate)
    ]
    items = load_golden_dir(golden_dir).items
    config = EvaluationConfig(
        stable_url=proxy_url(proxies[0]),
        candidate_url=proxy_url(proxies[1]),
        contract=CONTRACT,
        gates=QualityGates.model_validate(GATES),
        concurrency=1,
        check_group=2,
    )
    window = config.request_window
    expected = ahead_count(items, window)
    assert window < expected < len(items), "the golden set must reach past what is prepared"
    outcome: dict[str, Any] = {}

    def evaluate() -> None:
        outcome["results"] = asyncio.run(
            run_evaluation(items, config, models.scorer, None, pool=None)
        )[0]

    thread = threading.Thread(target=evaluate, daemon=True)
    thread.start()
    try:
        wait_for(
            lambda: len(_spans(timeline, "prepare reference")) >= expected,
            timeout=60,
            what=f"{expected} references prepared while the first requests are held",
        )
    finally:
        released.set()
        thread.join(timeout=120)
        for proxy in proxies:
            proxy.shutdown()
            proxy.server_close()
    assert not thread.is_alive(), "the evaluation did not end"

    prepared = _spans(timeline, "prepare reference")
    assert [s["item"] for s in prepared] == [item.id for item in items[:expected]]
    first_images = min(s["end"] for s in _spans(timeline, "generate"))
    assert all(s["start"] < first_images for s in prepared)
    results = outcome["results"]
    assert [r.item.id for r in results] == [item.id for item in items]
    # Prepared ahead or with its first images, a reference gives LPIPS on the very pair.
    for index in (0, len(items) - 1):
        item, result = items[index], results[index]
        reference = decode_png(item.reference_png, max_pixels=MAX_PIXELS).rgb_on_backdrop()
        output = image_again(candidate, CONTRACT, item)
        assert [result.candidate.lpips] == models.scorer.distances([(output, reference)])
        assert result.candidate.lpips is not None and result.candidate.lpips > 0
