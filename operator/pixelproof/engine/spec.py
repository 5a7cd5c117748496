"""The spec, parsed and checked once per reconcile and shared by everything that reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from pixelproof.api.metrics import MetricGate
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.metrics.catalog import apply_template
from pixelproof.metrics.templating import validate_gate_queries


@dataclass(frozen=True)
class ParsedSpec:
    """Either a usable spec (`model`, with its gates' templates applied in `gates`) or
    the `problem` that makes it unusable, in words."""

    model: ModelRolloutSpec | None
    problem: str | None = None
    gates: Mapping[str, MetricGate] = field(default_factory=dict)


def parse_spec(raw: Mapping[str, Any]) -> ParsedSpec:
    """Never raises: a spec that slipped past the schema yields its problem."""
    try:
        model = ModelRolloutSpec.model_validate(dict(raw))
    except ValidationError as exc:
        return ParsedSpec(None, f"invalid spec: {_validation_text(exc)}")
    # Checks a schema cannot make, each naming the field at fault.
    problems = [f"spec.metrics.gates: {problem}" for problem in validate_gate_queries(model)]
    if problems:
        return ParsedSpec(None, "invalid spec: " + "; ".join(problems))
    return ParsedSpec(model, gates={g.name: apply_template(g) for g in model.metrics.gates})


def _validation_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "spec"
        parts.append(f"spec.{where}: {err['msg']}")
    return "; ".join(parts)
