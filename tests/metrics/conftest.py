"""Fixtures for metric gates against a real Prometheus.

One Prometheus (the Debian binary) runs for the whole session on 127.0.0.1,
scraping every second the targets in a file_sd JSON file that tests rewrite. Each
test starts its own reference generator processes and registers them under Service
names of its own, so tests never read each other's series."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pixelproof.metrics.sampler import Sampler
from pixelproof_demo.prometheus import PrometheusMissing, PrometheusServer, find_prometheus
from pixelproof_testkit.generators import Generator


@pytest.fixture(scope="session")
def prometheus() -> Iterator[PrometheusServer]:
    try:
        find_prometheus()
    except PrometheusMissing as exc:
        pytest.fail(str(exc))
    workdir = Path(tempfile.mkdtemp(prefix="pixelproof-prometheus-"))
    server = PrometheusServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def live_prometheus(prometheus: PrometheusServer) -> Iterator[PrometheusServer]:
    """The session Prometheus, started again after a test that stopped it."""
    yield prometheus
    if not prometheus.running:
        prometheus.start()


@pytest.fixture
def generators(prometheus: PrometheusServer) -> Iterator[Callable[..., Generator]]:
    """Start a generator scraped as `service` in `namespace`: `generators("svc", faults={...})`."""
    started: list[Generator] = []

    def start(
        service: str, namespace: str = "imagegen", faults: dict[str, Any] | None = None
    ) -> Generator:
        generator = Generator(faults)
        started.append(generator)
        prometheus.add_target(generator.address, {"namespace": namespace, "service": service})
        return generator

    yield start
    for generator in started:
        prometheus.remove_target(generator.address)
        generator.terminate()  # all at once: each takes a moment to exit
    for generator in started:
        generator.stop()


@pytest.fixture
def unique(request: pytest.FixtureRequest) -> str:
    """A DNS-label prefix unique to this test, for Service names no other test uses."""
    name = request.node.name.lower().replace("_", "-").replace("[", "-").replace("]", "")
    return f"{name[:40].strip('-')}-{os.getpid() % 1000}-{int(time.time() * 1000) % 100000}"


@pytest.fixture
def sampler() -> Iterator[Sampler]:
    with Sampler() as running:
        yield running


@pytest.fixture
def hung_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a hung Prometheus."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()
