"""Recorder benchmark: mirrored requests accepted per second on one core, and resident memory
with the sample at its maximum, against a bare HTTP 202 handler on the same stdlib server in
the same run (the floor any Python sink pays).

Latency added to the user's request is zero by design, not by measurement: the data plane
(Gateway API RequestMirror, Istio mirror, Envoy request_mirror_policies) sends the copy
alongside the original and never waits for or reads the mirror's answer, so a slow or dead
recorder costs the user nothing; what this measures is how much mirrored traffic one
recorder core absorbs before the data plane starts dropping copies.

    python bench/bench_recorder.py [--seconds 5] [--clients 8] [--max-count 2000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
SERVER_CORE = 0


class _Bare(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(202)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def serve_baseline(port: int) -> None:
    """The same pooled-stdlib shape as the recorder, doing nothing with the body."""
    from concurrent.futures import ThreadPoolExecutor

    class Pooled(HTTPServer):
        pool = ThreadPoolExecutor(max_workers=16)

        def process_request(
            self, request: socket.socket | tuple[bytes, socket.socket], address: Any
        ) -> None:
            self.pool.submit(self._serve, request, address)

        def _serve(
            self, request: socket.socket | tuple[bytes, socket.socket], address: Any
        ) -> None:
            try:
                self.finish_request(request, address)
            finally:
                self.shutdown_request(request)

    Pooled(("127.0.0.1", port), _Bare).serve_forever()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(argv: list[str], port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(REPO / p) for p in ("operator", "evaluator")),
    }
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {SERVER_CORE}),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load(port: int, seconds: float, clients: int, prompt_bytes: int) -> float:
    """Distinct generate bodies over keep-alive connections; accepted (202) per second."""
    accepted = [0] * clients
    stop = time.monotonic() + seconds
    filler = "x" * prompt_bytes

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        while time.monotonic() < stop:
            body = json.dumps(
                {"prompt": f"{index}-{n} {filler}", "seed": n, "size": "512x512", "steps": 30}
            )
            conn.request("POST", "/generate", body, {"Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            accepted[index] += reply.status == 202
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(accepted) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-count", type=int, default=2000)
    parser.add_argument("--prompt-bytes", type=int, default=200)
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        serve_baseline(args.baseline_server)
        return
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, set(cores) - {SERVER_CORE} or set(cores))
    print(
        f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
        f"{os.cpu_count()} CPUs | server pinned to core {SERVER_CORE}, load on the others"
    )
    record = [sys.executable, "-m", "pixelproof_evaluator", "record", "--host", "127.0.0.1"]
    record += ["--max-count", str(args.max_count), "--retention", "1h", "--redact", r"\d{3}-\d{4}"]
    data_dir = tempfile.mkdtemp(prefix="bench-recorder-")
    rows = []
    for name, argv in (
        ("bare 202 handler", [sys.executable, __file__, "--baseline-server"]),
        ("recorder", [*record, "--port"]),
        ("recorder, data-dir", [*record, "--data-dir", data_dir, "--port"]),
    ):
        port = free_port()
        proc = start([*argv, str(port)], port)
        try:
            idle = rss_kib(proc.pid)
            rate = load(port, args.seconds, args.clients, args.prompt_bytes)
            full = rss_kib(proc.pid)
            sample = ""
            if name.startswith("recorder"):
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
                size = next(
                    line.split()[-1]
                    for line in metrics.splitlines()
                    if line.startswith("pixelproof_recorder_sample_size ")
                )
                sample = f", sample {size}/{args.max_count}"
            rows.append((name, rate, idle, full, sample))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    for name, rate, idle, full, sample in rows:
        print(
            f"{name:20s} {rate:8.0f} accepted/s  RSS idle {idle / 1024:6.1f} MiB, "
            f"after load {full / 1024:6.1f} MiB{sample}"
        )
    for name, rate, *_ in rows[1:]:
        print(f"{name} throughput: {rate / rows[0][1] * 100:.0f} % of the bare handler")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
