"""``python -m pixelproof_refgen`` as a real process, stopped by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from pixelproof_demo.environment import child_environment
from pixelproof_testkit.generators import Generator


@pytest.fixture
def generator() -> Iterator[Generator]:
    started = Generator({"blur": 2})
    try:
        yield started
    finally:
        started.stop()


def test_process_serves_with_cli_faults_and_stops_on_sigterm(generator: Generator) -> None:
    process, port, url = generator.process, generator.port, generator.url
    with httpx.Client(timeout=10) as client:
        assert client.get(url + "/healthz").status_code == 200
        assert client.get(url + "/faults").json()["blur"] == 2.0
        answer = client.post(url + "/generate", json={"prompt": 'a "Sale"', "size": "64x64"})
        assert answer.status_code == 200
        assert "generate_images_total 1.0" in client.get(url + "/metrics").text
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    stdout = generator.log_file.read_text()
    assert f"listening on http://127.0.0.1:{port}/generate" in stdout
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/healthz", timeout=2)


def test_a_bad_fault_flag_exits_with_a_message() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pixelproof_refgen", "--port", "0", "--fault", "blurr=2"],
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 2
    assert "unknown fault 'blurr'" in done.stderr
