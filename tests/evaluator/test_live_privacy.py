"""Live prompts are users' text: reports, the summary and logs name them by their sha256
prefix unless --allow-prompt-text, including text the prompt quotes and OCR reads back."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pixelproof.api.evaluator_invocation import TERMINATION_LOG_ENV
from pixelproof_evaluator.cli import main
from pixelproof_evaluator.recorder.records import prompt_digest

PROMPTS = [
    'a shop sign that says "HOLLOWAY"',
    "a portrait of Margaret Quimby in oils",
    'a birthday banner reading "ZEPHYRINE"',
    "the Quimby family farm at sunrise",
    "a map of Lower Wobbleton",
]
SECRETS = ["HOLLOWAY", "Quimby", "ZEPHYRINE", "Wobbleton"]
GATES = {"failureRate": {"max": 0.02}, "typography": {"minPassRate": 0.5}}


def _source(folder: Path) -> Path:
    folder.mkdir()
    lines = [
        json.dumps({"prompt": p, "seed": i, "width": 256, "height": 128, "transparent": False})
        for i, p in enumerate(PROMPTS, start=1)
    ]
    (folder / "prompts.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _run(
    tmp_path: Path, stable: str, candidate: str, *extra: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, Path]:
    out = tmp_path / "report"
    monkeypatch.setenv(TERMINATION_LOG_ENV, str(tmp_path / "termination"))
    code = main(
        [
            "evaluate",
            *("--live-source", str(_source(tmp_path / "source"))),
            *("--live-min-count", "4", "--stable", stable, "--candidate", candidate),
            *("--gates", json.dumps(GATES), "--out", str(out), "--verbose", *extra),
        ]
    )
    return code, out


def test_no_prompt_text_in_reports_summary_or_logs(
    tmp_path: Path,
    start_refgen: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    stable = start_refgen()
    candidate = start_refgen(garble_small_text=1000)
    code, out = _run(tmp_path, stable.url, candidate.url, monkeypatch=monkeypatch)
    assert code == 0
    summary = json.loads((tmp_path / "termination").read_text())
    report = (out / "report.json").read_text()
    page = (out / "report.html").read_text()
    captured = capfd.readouterr()
    for text in (report, page, json.dumps(summary), caplog.text, captured.out, captured.err):
        for secret in SECRETS:
            assert secret not in text
    # The garbled candidate fails typography and the reason still names only the item.
    assert summary["verdict"] == "Fail", summary["reason"]
    assert "live.typography" in summary["reason"]
    assert prompt_digest(PROMPTS[0]) in page
    assert "Live traffic (5 prompts)" in page
    items = json.loads(report)["liveItems"]
    assert {item["prompt"] for item in items} == {prompt_digest(p) for p in PROMPTS}


def test_prompt_text_is_shown_when_allowed(
    tmp_path: Path, start_refgen: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stable = start_refgen()
    code, out = _run(
        tmp_path, stable.url, stable.url, "--allow-prompt-text", monkeypatch=monkeypatch
    )
    assert code == 0
    page = (out / "report.html").read_text()
    assert "Margaret Quimby" in page and "HOLLOWAY" in (out / "report.json").read_text()
