"""The recorder keeps only what it may: redacted prompts, within retention and the maximum
count, one record per distinct request, and never the evaluator's own traffic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from recorder_support import Clock, body, metric, recorder, samples

from pixelproof.api.workloads import EVALUATION_HEADER

SECRET = "alice@example.com"
EMAIL = r"[\w.+-]+@[\w-]+\.[\w.]+"


def test_redaction_happens_before_anything_is_stored(tmp_path: Path) -> None:
    with recorder(redact=[EMAIL, r"\b\d{3}-\d{4}\b"], data_dir=tmp_path) as rec:
        reply = httpx.post(
            rec.url + "/v1/images",
            json=body(f"a card for {SECRET}, call 555-1234", negative_prompt=f"not {SECRET}"),
        )
        assert reply.status_code == 202
        kept = samples(rec.url)
        stored = (tmp_path / "records.jsonl").read_text()
        in_memory = [r.to_line() for r in rec.store.sample(10)]
    assert [r["prompt"] for r in kept] == ["a card for [redacted], call [redacted]"]
    assert kept[0]["fields"] == {"negative_prompt": "not [redacted]"}
    for text in (stored, *in_memory, str(kept)):
        assert SECRET not in text and "555-1234" not in text


def test_requests_of_the_evaluation_are_never_recorded() -> None:
    with recorder() as rec:
        reply = httpx.post(
            rec.url + "/generate",
            json=body("an evaluator prompt"),
            headers={EVALUATION_HEADER: "x"},
        )
        assert reply.status_code == 202
        httpx.post(rec.url + "/generate", json=body("a user prompt"))
        assert [r["prompt"] for r in samples(rec.url)] == ["a user prompt"]
        assert metric(rec.url, 'pixelproof_recorder_ignored_total{reason="evaluation"}') == 1


def test_the_evaluator_client_marks_every_request() -> None:
    import asyncio

    from pixelproof.api.workloads import GeneratorContract
    from pixelproof_evaluator.client import GeneratorClient

    async def send(url: str) -> None:
        async with GeneratorClient(url, GeneratorContract(timeout_seconds=5)) as client:
            await client.generate("replayed live prompt", 3, "128x128", False)

    with recorder() as rec:
        asyncio.run(send(rec.url))
        assert samples(rec.url) == []
        assert metric(rec.url, 'pixelproof_recorder_ignored_total{reason="evaluation"}') == 1


def test_duplicates_refresh_one_record_and_the_count_is_bounded() -> None:
    with recorder(max_count=5) as rec:
        for _ in range(3):
            httpx.post(rec.url + "/generate", json=body("the same request", seed=7, steps=20))
        httpx.post(rec.url + "/generate", json=body("the same request", seed=7, steps=30))
        assert len(samples(rec.url)) == 2
        for i in range(20):
            httpx.post(rec.url + "/generate", json=body(f"prompt {i}", seed=i))
        kept = samples(rec.url)
        assert len(kept) == 5
        # Newest first: the last five distinct requests are what is kept.
        assert {r["prompt"] for r in kept} == {f"prompt {i}" for i in range(15, 20)}
        assert metric(rec.url, "pixelproof_recorder_sample_size") == 5
        assert metric(rec.url, 'pixelproof_recorder_dropped_total{reason="capacity"}') == 17
        assert metric(rec.url, "pixelproof_recorder_refreshed_total") == 2
        assert len(samples(rec.url, count=2)) == 2


def test_records_older_than_retention_are_dropped(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    with recorder(retention=timedelta(hours=1), clock=clock, data_dir=tmp_path) as rec:
        httpx.post(rec.url + "/generate", json=body("early"))
        clock.advance(timedelta(minutes=40))
        httpx.post(rec.url + "/generate", json=body("later"))
        assert {r["prompt"] for r in samples(rec.url)} == {"early", "later"}
        clock.advance(timedelta(minutes=30))
        kept = samples(rec.url)
        assert [r["prompt"] for r in kept] == ["later"]
        assert kept[0]["recordedAt"] == "2026-05-01T12:40:00Z"
        assert metric(rec.url, 'pixelproof_recorder_dropped_total{reason="retention"}') == 1
    # A restart long after keeps nothing the retention no longer allows.
    clock.advance(timedelta(hours=2))
    with recorder(retention=timedelta(hours=1), clock=clock, data_dir=tmp_path) as rec:
        assert samples(rec.url) == []
        assert "early" not in (tmp_path / "records.jsonl").read_text()
