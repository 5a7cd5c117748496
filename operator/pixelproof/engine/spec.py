"""The spec, parsed and checked once per reconcile and shared by everything that reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pixelproof.api.metrics import MetricGate
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.validation import check_spec
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


def parse_spec(raw: Any) -> ParsedSpec:
    """Never raises: a spec that slipped past the schema yields its problem, in the words
    `pixelproof lint` uses for it."""
    checked = check_spec(raw)
    if checked.model is None:
        return ParsedSpec(None, invalid("spec", checked.errors))
    model = checked.model
    return ParsedSpec(model, gates={g.name: apply_template(g) for g in model.metrics.gates})


def invalid(what: str, errors: tuple[str, ...] | list[str]) -> str:
    shown = "; ".join(errors[:MAX_PROBLEMS])
    more = len(errors) - MAX_PROBLEMS
    return f"invalid {what}: {shown}" + (f" (and {more} more)" if more > 0 else "")
