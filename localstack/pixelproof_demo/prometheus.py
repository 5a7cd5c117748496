"""A real Prometheus server (Debian's binary) on 127.0.0.1, scraping the generator processes
every second. Targets come from a file_sd file, each labelled with the namespace and Service
it stands for, as Prometheus labels the endpoints of a Service in a cluster."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from pixelproof.errors import PixelproofError
from pixelproof.running import Running

from .ports import free_port

PROMETHEUS_BINARY = "/usr/bin/prometheus"
INSTALL_HINT = "install it with: sudo apt-get install prometheus"
READY_TIMEOUT = 60.0


class PrometheusMissing(PixelproofError, RuntimeError):
    """The prometheus binary is not installed."""


def find_prometheus() -> str:
    """The prometheus binary: Debian's path first, then $PATH."""
    if os.access(PROMETHEUS_BINARY, os.X_OK):
        return PROMETHEUS_BINARY
    found = shutil.which("prometheus")
    if found is None:
        raise PrometheusMissing(f"the prometheus server is not installed; {INSTALL_HINT}")
    return found


class PrometheusServer(Running):
    """Prometheus with a tsdb in its work folder; a context manager. ``add_target``
    registers an address with its labels (a generator's namespace and Service); Prometheus
    reads the file within a second. Stopped and started again, it keeps its port and data,
    as a restarted Prometheus pod would."""

    def __init__(self, workdir: Path | None = None, *, scrape_interval: str = "1s") -> None:
        self.binary = find_prometheus()
        self._own_workdir = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="pixelproof-prometheus-")) if workdir is None else workdir
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.targets_file = self.workdir / "targets.json"
        self.log_file = self.workdir / "prometheus.log"
        self._targets: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._write_targets()
        (self.workdir / "prometheus.yml").write_text(
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  scrape_timeout: {scrape_interval}\n"
            f"  evaluation_interval: {scrape_interval}\n"
            "scrape_configs:\n"
            "  - job_name: generators\n"
            "    file_sd_configs:\n"
            f"      - files: [{json.dumps(str(self.targets_file))}]\n"
            "        refresh_interval: 1s\n"
        )

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={self.workdir / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._ready():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"Prometheus at {self.url} was not ready within {READY_TIMEOUT:g}s; "
                    f"see {self.log_file}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _ready(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            log = self.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Prometheus exited with code {self._process.returncode}:\n{log}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def running(self) -> bool:
        return self._process is not None

    def add_target(self, address: str, labels: Mapping[str, str]) -> None:
        with self._lock:
            self._targets[address] = dict(labels)
            self._write_targets()

    def remove_target(self, address: str) -> None:
        with self._lock:
            self._targets.pop(address, None)
            self._write_targets()

    def _write_targets(self) -> None:
        doc = [
            {"targets": [address], "labels": labels} for address, labels in self._targets.items()
        ]
        partial = self.targets_file.with_name(self.targets_file.name + ".partial")
        partial.write_text(json.dumps(doc))
        partial.replace(self.targets_file)

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result vector."""
        reply = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        reply.raise_for_status()
        result: list[dict[str, Any]] = reply.json()["data"]["result"]
        return result
