"""Reference generator processes for tests and benchmarks."""

from __future__ import annotations

from typing import Any

import httpx

from pixelproof_demo.generators import GeneratorProcess


class Generator(GeneratorProcess):
    """The demo's reference generator process, with its faults changeable while it runs."""

    def __init__(self, faults: dict[str, Any] | None = None) -> None:
        super().__init__("refgen", faults)

    def set_faults(self, faults: dict[str, Any]) -> None:
        httpx.put(f"{self.url}/faults", json=faults, timeout=5).raise_for_status()

    def terminate(self) -> None:
        self.process.terminate()
