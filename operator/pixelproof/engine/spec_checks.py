"""Checks a schema cannot make, run before a rollout acts on a spec."""

from __future__ import annotations

from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.metrics.templating import validate_gate_queries


def check_spec(spec: ModelRolloutSpec) -> list[str]:
    """Problems that make the spec unusable, each naming the field at fault."""
    return [f"spec.metrics.gates: {problem}" for problem in validate_gate_queries(spec)]
