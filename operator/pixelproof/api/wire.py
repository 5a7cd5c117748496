"""A document as the API server receives it: what kubectl sends after turning YAML into JSON.

kubectl writes map keys as strings and dates as their text; JSON has no NaN or Infinity,
so such a number never reaches the API server; and the API server drops object fields
whose value is null before it validates, as it does for every field not marked nullable."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .messages import Path, format_path

MAX_DEPTH = 100
"""Specs nest seven levels deep at most; a hundred leaves room for generator request
bodies and keeps every validator far from Python's recursion limit."""


@dataclass
class Wire:
    value: Any
    problems: list[str] = field(default_factory=list)


def to_wire(value: Any, path: Path = ()) -> Wire:
    """`value` as JSON would carry it, with a message for each part JSON cannot carry."""
    wire = Wire(None)
    wire.value = _convert(value, path, wire.problems)
    return wire


def _convert(value: Any, path: Path, problems: list[str]) -> Any:
    if len(path) > MAX_DEPTH:
        problems.append(f"{format_path(path[:8])}...: nested more than {MAX_DEPTH} levels deep")
        return None
    if isinstance(value, dict):
        return {
            _key(k): _convert(v, (*path, _key(k)), problems)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list | tuple):
        return [_convert(v, (*path, i), problems) for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        shown = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        problems.append(f"{format_path(path)}: {shown} is not a number JSON can carry")
        return None
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):
        return value
    problems.append(f"{format_path(path)}: a {type(value).__name__} value is not JSON")
    return None


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)
