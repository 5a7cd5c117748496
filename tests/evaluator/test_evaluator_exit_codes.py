"""--fail-exit-code and --inconclusive-exit-code: statuses 0..255 only, refused like any
other bad argument (exit 2 with the reason written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pixelproof_evaluator.cli import EXIT_USAGE, main


@pytest.mark.parametrize(
    ("flag", "value"), [("--fail-exit-code", "256"), ("--inconclusive-exit-code", "x")]
)
def test_a_bad_exit_status_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    args = ["evaluate", "--stable", "http://a", "--candidate", "http://b", "--gates", "{}"]
    args += ["--golden", str(tmp_path), "--out", str(tmp_path / "out"), flag, value]
    assert main(args) == EXIT_USAGE
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["verdict"] == "Inconclusive" and flag in summary["reason"]
