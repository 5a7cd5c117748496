"""With a data folder the sample survives a restart, the file stays bounded, and a line torn
by a crash costs only itself; the `record` command runs under the contract's flags."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
from live_support import record
from recorder_support import RECORD_COMMAND, evaluator_env, record_process, recorder, samples


def test_a_restart_keeps_the_sample(tmp_path: Path) -> None:
    with recorder(max_count=10, data_dir=tmp_path) as rec:
        record(rec.url, [f"prompt {i}" for i in range(25)])
        before = {r["prompt"] for r in samples(rec.url)}
    lines = (tmp_path / "records.jsonl").read_text().splitlines()
    assert len(lines) <= 20
    with (tmp_path / "records.jsonl").open("a") as out:
        out.write('{"prompt": "torn by a cr')
    with recorder(max_count=10, data_dir=tmp_path) as rec:
        after = {r["prompt"] for r in samples(rec.url)}
    assert after == before and len(after) == 10


def test_the_record_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    args = ["--max-count", "5", "--retention", "1h", "--redact", r"\d{4}"]
    args += ["--data-dir", str(tmp_path), "--max-body-bytes", "2048"]
    with record_process(*args) as (url, proc):
        record(url, ["pin 1234 please"])
        assert [r["prompt"] for r in samples(url)] == ["pin [redacted] please"]
        big = httpx.post(url + "/generate", content=b"x" * 4096)
        assert big.status_code == 413
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "1234" not in stderr
    assert "pin [redacted] please" in (tmp_path / "records.jsonl").read_text()


def test_bad_flags_are_refused_with_the_flag_named() -> None:
    for args, message in (
        (["--max-count", "5", "--retention", "soon"], "duration 'soon'"),
        (["--max-count", "0", "--retention", "1h"], "must be at least 1"),
        (["--max-count", "5", "--retention", "1h", "--redact", "("], "not a valid regex"),
    ):
        done = subprocess.run(
            [*RECORD_COMMAND, "--port", "0", *args],
            env=evaluator_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert message in done.stderr, done.stderr
