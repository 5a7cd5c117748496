"""``python -m pixelproof_refgen`` as a real process, stopped by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixelproof_demo.environment import child_environment


def spawn(*args: str) -> subprocess.Popen[str]:
    env = child_environment()
    return subprocess.Popen(
        [sys.executable, "-m", "pixelproof_refgen", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_port(process: subprocess.Popen[str], port_file: Path, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_file.exists():
            return int(port_file.read_text())
        if process.poll() is not None:
            raise AssertionError(f"generator exited early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"generator did not report a port within {timeout_s} s")


@pytest.fixture
def generator(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port_file = tmp_path / "port"
    process = spawn("--port", "0", "--fault", "blur=2", "--port-file", str(port_file))
    try:
        yield process, wait_for_port(process, port_file, timeout_s=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_process_serves_with_cli_faults_and_stops_on_sigterm(
    generator: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = generator
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=10) as client:
        assert client.get(url + "/healthz").status_code == 200
        assert client.get(url + "/faults").json()["blur"] == 2.0
        answer = client.post(url + "/generate", json={"prompt": 'a "Sale"', "size": "64x64"})
        assert answer.status_code == 200
        assert "generate_images_total 1.0" in client.get(url + "/metrics").text
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    stdout, _ = process.communicate()
    assert f"listening on http://127.0.0.1:{port}/generate" in stdout
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/healthz", timeout=2)


def test_a_bad_fault_flag_exits_with_a_message() -> None:
    process = spawn("--port", "0", "--fault", "blurr=2")
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "unknown fault 'blurr'" in stderr
