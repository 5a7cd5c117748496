"""Outputs: the termination message stays within Kubernetes' 4096 bytes however large the
golden set, the HTML report renders offline, and the command line honours its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from evaluator_support import GATES

from pixelproof.api.evaluation import TERMINATION_MESSAGE_LIMIT, EvaluationSummary
from pixelproof.api.quality import QualityGates
from pixelproof_demo.environment import child_environment
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.golden import GoldenItem, GoldenItemSpec
from pixelproof_evaluator.judge import judge
from pixelproof_evaluator.results import ItemResult, ModelResult


def test_termination_message_fits_for_a_large_golden_set() -> None:
    results = []
    for index in range(3000):
        spec = GoldenItemSpec(
            id=f"item-with-a-long-descriptive-name-{index:05d}",
            prompt="p",
            seed=index,
            size="64x64",
            tags=[f"tag{index % 40}"],
        )
        item = GoldenItem(spec, 64, 64, b"")
        ok = GenerationResult(b"", 120.0 + index % 50, 1)
        broken = GenerationResult(None, None, 3, "http-status", 502, "HTTP 502")
        stable = ModelResult(ok, lpips=0.1)
        candidate = ModelResult(broken if index % 3 else ok, lpips=None if index % 3 else 0.4)
        results.append(ItemResult(item, stable, candidate))
    judgement = judge(QualityGates.model_validate(GATES), results)
    summary = EvaluationSummary(
        verdict=judgement.verdict,
        reason=judgement.reason,
        gates=judgement.gates,
        scores=judgement.scores,
        items=len(results),
        failed_items=judgement.failed_items,
        backbone="alex-random",
        report="/reports/report.html",
    )
    message = summary.to_termination_message()
    assert len(message.encode()) <= TERMINATION_MESSAGE_LIMIT
    doc = json.loads(message)
    assert doc["verdict"] == "Fail"
    assert "failureRate" in doc["reason"]


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("src"):
            self.sources.append(values["src"] or "")
        if tag == "section" and values.get("id"):
            self.sections.append(values["id"] or "")


def test_html_report_renders_with_every_image(
    start_refgen: Any, run_evaluation: Any, tmp_path: Path
) -> None:
    summary = run_evaluation(
        start_refgen().url,
        start_refgen(drop_alpha=True, html_error=0.3, fault_seed=5).url,
        tags=["alpha", "template"],
    )
    report = tmp_path / "report"
    page = (report / "report.html").read_text()
    parser = _Images()
    parser.feed(page)
    assert sorted(parser.sections) == ["brand-template", "sticker-moon", "sticker-star"]
    assert parser.sources, "no images in the report"
    for source in parser.sources:
        assert (report / source).is_file(), source
    assert summary.verdict in page and "format.alpha" in page
    doc = json.loads((report / "report.json").read_text())
    assert doc["summary"]["verdict"] == summary.verdict
    assert doc["lpipsBackbone"] == summary.backbone
    by_id = {item["id"]: item for item in doc["items"]}
    for sticker in ("sticker-star", "sticker-moon"):
        candidate = by_id[sticker]["candidate"]
        if candidate["failure"] == "decode":
            assert "an HTML page" in candidate["failureDetail"]
            assert "an HTML page" in page
        else:
            assert candidate["format"]["problem"].startswith("expected an alpha channel")
    assert set(by_id["brand-template"]["images"]) >= {"reference", "stable"}


def _cli(args: list[str], termination: Path) -> subprocess.CompletedProcess[str]:
    env = child_environment({"PIXELPROOF_TERMINATION_LOG": str(termination)})
    return subprocess.run(
        [sys.executable, "-m", "pixelproof_evaluator", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_cli_evaluate_writes_verdict_and_exits_zero(
    start_refgen: Any, golden_dir: Path, tmp_path: Path
) -> None:
    stable, candidate = start_refgen(), start_refgen(stretch=1.5)
    termination = tmp_path / "termination-log"
    done = _cli(
        [
            "evaluate",
            "--golden",
            str(golden_dir),
            "--stable",
            stable.url,
            "--candidate",
            candidate.url,
            "--generator",
            json.dumps({"path": "/generate", "timeoutSeconds": 30}),
            "--gates",
            json.dumps({"format": {"size": True}}),
            "--out",
            str(tmp_path / "out"),
            "--tags",
            "alpha,template",
            "--concurrency",
            "2",
        ],
        termination,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(termination.read_text())
    assert doc["verdict"] == "Fail" and doc["backbone"] == "alex-random"
    assert json.loads(done.stdout.strip().splitlines()[-1]) == doc
    assert (tmp_path / "out" / "report.html").is_file()


def test_cli_bad_arguments_write_a_reason_and_exit_nonzero(tmp_path: Path) -> None:
    termination = tmp_path / "termination-log"
    done = _cli(
        [
            "evaluate",
            "--golden",
            str(tmp_path),
            "--stable",
            "http://a",
            "--candidate",
            "http://b",
            "--gates",
            '{"lpips": {"maxMean": 5}}',
            "--out",
            str(tmp_path / "out"),
        ],
        termination,
    )
    assert done.returncode == 2
    doc = json.loads(termination.read_text())
    assert doc["verdict"] == "Inconclusive" and "--gates" in doc["reason"]


def test_cli_unreadable_golden_set_writes_a_reason(tmp_path: Path) -> None:
    termination = tmp_path / "termination-log"
    done = _cli(
        [
            "evaluate",
            "--golden",
            str(tmp_path / "missing"),
            "--stable",
            "http://a",
            "--candidate",
            "http://b",
            "--gates",
            '{"lpips": {"maxMean": 0.2}}',
            "--out",
            str(tmp_path / "out"),
        ],
        termination,
    )
    assert done.returncode == 1
    doc = json.loads(termination.read_text())
    assert doc["verdict"] == "Inconclusive" and "golden set" in doc["reason"]


def test_a_dry_run_gate_breach_is_reported_but_does_not_fail_the_evaluation(
    start_refgen: Any, run_evaluation: Any, tmp_path: Path
) -> None:
    """A candidate that drops alpha fails the format gate; marked dry-run, the gate's
    Fail is in the summary and the report, and the evaluation passes on the rest."""
    gates = {"format": {"alpha": True, "size": True, "dryRun": True}, "failureRate": {"max": 0.5}}
    summary = run_evaluation(
        start_refgen().url, start_refgen(drop_alpha=True).url, gates=gates, tags=["alpha"]
    )
    alpha = next(g for g in summary.gates if g.name == "format.alpha")
    assert (alpha.verdict, alpha.dry_run) == ("Fail", True)
    assert summary.verdict == "Pass", summary.reason
    assert "dry run, not enforced: format.alpha Fail" in summary.reason
    page = (tmp_path / "report" / "report.html").read_text()
    assert "format.alpha (dry run)" in page
    doc = json.loads((tmp_path / "report" / "report.json").read_text())
    marked = [g["name"] for g in doc["summary"]["gates"] if g.get("dryRun")]
    assert "format.alpha" in marked
    assert json.loads(summary.to_termination_message())["verdict"] == "Pass"
