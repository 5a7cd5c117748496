"""Checks a schema cannot make, run before a rollout acts on a spec."""

from __future__ import annotations

from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.metrics.catalog import apply_template


def check_spec(spec: ModelRolloutSpec) -> list[str]:
    """Problems that make the spec unusable, each naming the field at fault."""
    problems: list[str] = []
    for gate in spec.metrics.gates:
        try:
            apply_template(gate)
        except ValueError as exc:
            problems.append(f"spec.metrics.gates[{gate.name}]: {exc}")
    if (
        any(g.template == "cost-per-1k-images" for g in spec.metrics.gates)
        and spec.metrics.price_per_gpu_hour is None
    ):
        problems.append(
            "spec.metrics.pricePerGpuHour: the cost-per-1k-images gate needs a price per GPU-hour"
        )
    return problems
