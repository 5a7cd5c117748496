"""The spec, parsed and checked once per reconcile and shared by everything that reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from pixelproof.api.gatesets import GateSetKey, GateSetSpec, merge_gate_sets
from pixelproof.api.messages import error_messages
from pixelproof.api.metrics import MetricGate
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.validation import check_spec
from pixelproof.api.wire import to_wire
from pixelproof.metrics.catalog import apply_template

MAX_PROBLEMS = 5
"""A Stalled message names this many problems at most; `pixelproof lint` lists them all."""


@dataclass(frozen=True)
class ParsedSpec:
    """Either a usable spec (`model`, with its gates' templates applied in `gates`) or
    the `problem` that makes it unusable, in words."""

    model: ModelRolloutSpec | None
    problem: str | None = None
    gates: Mapping[str, MetricGate] = field(default_factory=dict)
    reason: str = "InvalidSpec"
    """The Stalled reason for the problem."""


def parse_spec(
    raw: Any, gate_sets: Mapping[GateSetKey, Any] | None = None, namespace: str = "default"
) -> ParsedSpec:
    """Never raises: a spec that slipped past the schema yields its problem, in the words
    `pixelproof lint` uses for it. `gate_sets` holds the spec of every set the rollout
    lists, as read (None for a set that does not exist); their gates are merged in."""
    checked = check_spec(raw)
    if checked.model is None:
        return ParsedSpec(None, invalid("spec", checked.errors))
    model = checked.model
    if model.gate_sets:
        keys = [GateSetKey.of(ref, namespace) for ref in model.gate_sets]
        found = gate_sets or {}
        missing = [str(key) for key in keys if found.get(key) is None]
        if missing:
            return ParsedSpec(None, f"{', '.join(missing)} not found", reason="MissingDependency")
        sets: list[GateSetSpec] = []
        for key in keys:
            gate_set = _gate_set(key, found[key])
            if isinstance(gate_set, str):
                return ParsedSpec(None, gate_set)
            sets.append(gate_set)
        merged = check_spec(merge_gate_sets(to_wire(raw).value, sets))
        if merged.model is None:
            used = ", ".join(str(key) for key in keys)
            return ParsedSpec(None, invalid(f"spec with {used}", merged.errors))
        model = merged.model
    return ParsedSpec(model, gates={g.name: apply_template(g) for g in model.metrics.gates})


def _gate_set(key: GateSetKey, raw: Any) -> GateSetSpec | str:
    """The set's spec, or why it cannot be used."""
    wire = to_wire(raw, ("spec",))
    if wire.problems:
        return invalid(str(key), wire.problems)
    try:
        return GateSetSpec.model_validate(wire.value, strict=True)
    except ValidationError as exc:
        return invalid(str(key), error_messages(exc, ("spec",)))


def invalid(what: str, errors: tuple[str, ...] | list[str]) -> str:
    shown = "; ".join(errors[:MAX_PROBLEMS])
    more = len(errors) - MAX_PROBLEMS
    return f"invalid {what}: {shown}" + (f" (and {more} more)" if more > 0 else "")
