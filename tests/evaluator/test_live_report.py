"""The report's live-traffic section: stable | candidate | difference per prompt, failed
prompts first and then the largest divergence from stable, named by sha256 only."""

from __future__ import annotations

from datetime import UTC, datetime

from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.live_items import live_item
from pixelproof_evaluator.recorder.records import LiveRecord, prompt_digest
from pixelproof_evaluator.report_live import live_section, worst_live_first
from pixelproof_evaluator.results import ItemResult, ModelResult

OK = GenerationResult(b"png", 100.0, 1)
FAILED = GenerationResult(None, None, 1, "http-status", 502, "HTTP 502")


def _result(prompt: str, divergence: float | None, candidate: GenerationResult = OK) -> ItemResult:
    record = LiveRecord(prompt, 1, 128, 128, recorded_at=datetime(2026, 5, 1, tzinfo=UTC))
    model = ModelResult(candidate)
    model.divergence = divergence
    result = ItemResult(live_item(record, private=True), ModelResult(OK), model)
    result.images = {"stable": "images/s.png", "candidate": "images/c.png"}
    return result


def test_failed_prompts_first_then_the_most_divergent() -> None:
    small, large = _result("a small change", 0.01), _result("a large change", 0.2)
    failed = _result("a failed prompt", None, FAILED)
    order = worst_live_first([small, failed, large], {failed.item.id})
    assert [r.item.spec.prompt for r in order] == [
        "a failed prompt",
        "a large change",
        "a small change",
    ]


def test_the_section_shows_both_models_and_their_difference_by_digest() -> None:
    page = live_section([_result("a secret prompt", 0.05)], set())
    assert "Live traffic (1 prompts)" in page
    for label in ("stable", "candidate", "difference (candidate vs stable)"):
        assert f"<figcaption>{label}</figcaption>" in page
    assert prompt_digest("a secret prompt") in page and "secret" not in page
    assert "divergence 0.05" in page
