"""Spec builders for engine tests, and the simulated world set up for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pixelproof.simulation.world import SimulatedWorld

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_spec(steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "stable": {"deployment": "gen-v1", "service": "gen-stable"},
        "candidate": {"deployment": "gen-v2", "service": "gen-candidate", "replicas": 1},
        "traffic": {"gatewayAPI": {"httpRoute": "gen"}},
        "steps": steps,
    }
    if any("evaluate" in s for s in steps):
        spec["goldenSet"] = {"configMap": {"name": "golden"}}
        spec["evaluator"] = {"image": "registry.example/pixelproof-evaluator:0.1.0"}
    spec.update(extra)
    return spec


def gate(name: str = "errors", **fields: Any) -> dict[str, Any]:
    return {"name": name, "query": "sum(rate(errors[1m]))", "max": 0.05, **fields}


def with_gates(*gates: dict[str, Any]) -> dict[str, Any]:
    return {
        "prometheus": {"address": "http://prometheus:9090"},
        "interval": "10s",
        "gates": list(gates),
    }


def simulated(spec: dict[str, Any], **fields: Any) -> SimulatedWorld:
    """A world whose readings the test controls: no metrics unless set, one second a tick."""
    fields.setdefault("healthy_metrics", False)
    return SimulatedWorld(spec, name="gen", namespace="ns", now=T0, tick_seconds=1.0, **fields)
