"""Shared fixtures for the evaluator tests: real LPIPS and OCR built once per session, real
reference generators on free localhost ports, and a golden set captured from a good one."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from evaluator_support import ADVERSARIAL_MARKER, GATES, write_golden_manifest

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.capture import capture
from pixelproof_evaluator.client import RetryPolicy
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate
from pixelproof_refgen import Faults, RefGenServer


@pytest.fixture(scope="session")
def models() -> Models:
    return Models()


@pytest.fixture
def start_refgen() -> Iterator[Callable[..., RefGenServer]]:
    servers: list[RefGenServer] = []

    def start(**faults: Any) -> RefGenServer:
        server = RefGenServer(0, Faults(**faults)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def golden_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("golden")
    write_golden_manifest(folder)
    with RefGenServer(0) as stable:
        result = capture(folder, stable.url, GeneratorContract(timeout_seconds=30))
    assert not result.failed, result.failed
    return folder


class _AdversarialProxy(BaseHTTPRequestHandler):
    """A candidate that composes non-curated prompts badly: for prompts carrying the
    adversarial marker it asks the generator behind it for another seed's composition."""

    protocol_version = "HTTP/1.1"
    upstream = ""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if ADVERSARIAL_MARKER in body.get("prompt", ""):
            body["seed"] = body.get("seed", 0) + 1000
        reply = httpx.post(self.upstream + self.path, json=body, timeout=30)
        self.send_response(reply.status_code)
        self.send_header(
            "Content-Type", reply.headers.get("content-type", "application/octet-stream")
        )
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)


@dataclass
class Proxy:
    url: str
    server: ThreadingHTTPServer


@pytest.fixture
def adversarial_proxy() -> Iterator[Callable[[str], Proxy]]:
    started: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(upstream: str) -> Proxy:
        handler = type("Handler", (_AdversarialProxy,), {"upstream": upstream})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        thread.start()
        started.append((server, thread))
        return Proxy(f"http://127.0.0.1:{server.server_address[1]}", server)

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def run_evaluation(models: Models, golden_dir: Path, tmp_path: Path) -> Callable[..., Any]:
    """Evaluates a candidate against a stable model on the captured golden set."""

    def run(
        stable: str,
        candidate: str,
        *,
        gates: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        golden: Path | None = None,
    ) -> Any:
        options = EvaluateOptions(
            stable_url=stable,
            candidate_url=candidate,
            contract=GeneratorContract(timeout_seconds=timeout),
            gates=QualityGates.model_validate(gates if gates is not None else GATES),
            out=tmp_path / "report",
            golden=golden or golden_dir,
            tags=tags or [],
            concurrency=4,
            retry=retry or RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        )
        return evaluate(options, models)

    return run


@pytest.fixture
def gate_of() -> Callable[[Any, str], Any]:
    def find(summary: Any, name: str) -> Any:
        matches = [g for g in summary.gates if g.name == name]
        assert matches, f"no gate {name!r} in {[g.name for g in summary.gates]}"
        return matches[0]

    return find
