"""With a data folder the sample survives a restart, the file stays bounded, and a line torn
by a crash costs only itself; the `record` command runs under the contract's flags."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from live_support import record
from recorder_support import recorder, samples

from pixelproof_testkit.polling import wait_for

REPO = Path(__file__).resolve().parents[2]


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_record_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'operator'}{os.pathsep}{REPO / 'evaluator'}"}
    args = [
        *("--port", str(port), "--host", "127.0.0.1", "--max-count", "5", "--retention", "1h"),
        *("--redact", r"\d{4}", "--data-dir", str(tmp_path), "--max-body-bytes", "2048"),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pixelproof_evaluator", "record", *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, timeout=30, what="the record command serving")
        record(url, ["pin 1234 please"])
        assert [r["prompt"] for r in samples(url)] == ["pin [redacted] please"]
        big = httpx.post(url + "/generate", content=b"x" * 4096)
        assert big.status_code == 413
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "1234" not in stderr
    assert "pin [redacted] please" in (tmp_path / "records.jsonl").read_text()


def test_bad_flags_are_refused_with_the_flag_named() -> None:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'operator'}{os.pathsep}{REPO / 'evaluator'}"}
    for args, message in (
        (["--max-count", "5", "--retention", "soon"], "duration 'soon'"),
        (["--max-count", "0", "--retention", "1h"], "must be at least 1"),
        (["--max-count", "5", "--retention", "1h", "--redact", "("], "not a valid regex"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "pixelproof_evaluator", "record", "--port", "0", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert message in done.stderr, done.stderr
