"""Reference generator processes (`python -m pixelproof_refgen`), each standing in for the
pods behind one Service: a stable model, a good candidate, or a candidate with faults."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from .environment import PYTHON, child_environment

START_TIMEOUT = 60.0


def fault_arguments(faults: Mapping[str, Any]) -> list[str]:
    args: list[str] = []
    for name, value in faults.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        args += ["--fault", f"{name}={text}"]
    return args


class GeneratorProcess:
    """One generator process on a free 127.0.0.1 port; ``stop()`` ends it."""

    def __init__(self, name: str, faults: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.faults = dict(faults or {})
        self._dir = tempfile.TemporaryDirectory(prefix=f"pixelproof-{name}-")
        port_file = Path(self._dir.name) / "port"
        self.log_file = Path(self._dir.name) / "generator.log"
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "pixelproof_refgen",
                    "--port",
                    "0",
                    "--port-file",
                    str(port_file),
                    "--log-level",
                    "WARNING",
                    *fault_arguments(self.faults),
                ],
                env=child_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.log_file.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"generator {name!r} did not start: {output}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"

    def metric(self, name: str, labels: Mapping[str, str] | None = None) -> float:
        """The sum of a counter's samples on /metrics, read straight from the process."""
        wanted = labels or {}
        total = 0.0
        for line in httpx.get(f"{self.url}/metrics", timeout=5).text.splitlines():
            if not line.startswith(name):
                continue
            series, _, value = line.rpartition(" ")
            metric, _, label_text = series.partition("{")
            if metric != name:
                continue
            found = dict(
                part.split("=", 1) for part in label_text.rstrip("}").split(",") if "=" in part
            )
            if all(found.get(k, "").strip('"') == v for k, v in wanted.items()):
                total += float(value)
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._dir.cleanup()
