"""The evaluator keeps as many requests in flight per model as the candidate has ready
replicas when no concurrency is given, counted where a generator sees them arrive."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from pixelproof.api.evaluator_invocation import EvaluatorInvocation
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.in_flight -= 1


class _CountingProxy(BaseHTTPRequestHandler):
    """Forwards generate requests to a reference generator and counts those in flight."""

    protocol_version = "HTTP/1.1"
    upstream = ""
    counter = _Counter()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.counter:
            reply = httpx.post(self.upstream + self.path, content=body, timeout=30)
        self.send_response(reply.status_code)
        self.send_header("Content-Type", reply.headers.get("content-type", "image/png"))
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)


@pytest.fixture
def counting_proxy() -> Iterator[Callable[[str], tuple[str, _Counter]]]:
    servers: list[ThreadingHTTPServer] = []

    def start(upstream: str) -> tuple[str, _Counter]:
        counter = _Counter()
        handler = type("Handler", (_CountingProxy,), {"upstream": upstream, "counter": counter})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", counter

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("flags", "expected"), [(["--candidate-replicas", "2"], 2), ([], 4)])
def test_requests_in_flight_follow_the_candidates_ready_replicas(
    start_refgen: Any,
    counting_proxy: Any,
    golden_dir: Path,
    tmp_path: Path,
    models: Models,
    flags: list[str],
    expected: int,
) -> None:
    stable_url, stable = counting_proxy(start_refgen(latency_ms=150.0).url)
    candidate_url, candidate = counting_proxy(start_refgen(latency_ms=150.0).url)
    argv = ["--golden", str(golden_dir), "--stable", stable_url, "--candidate", candidate_url]
    gates = json.dumps({"failureRate": {"max": 0.02}})
    argv += ["--gates", gates, "--out", str(tmp_path / "report"), *flags]
    options = EvaluateOptions.from_invocation(EvaluatorInvocation.from_argv(argv))
    summary = evaluate(options, models)
    assert summary.verdict == "Pass", summary.reason
    assert (stable.peak, candidate.peak) == (expected, expected)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["concurrency"] == expected
