"""Validation errors in words: the field as `spec.steps[7].pause`, what is wrong, what is
allowed, and never more than a short excerpt of the value."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .errors import FieldError, FieldErrors
from .patterns import MEANINGS

Path = tuple[str | int, ...]
EXCERPT = 40

_TYPES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "{v} is less than the minimum of {b}"),
    "less_than_equal": ("le", "{v} is greater than the maximum of {b}"),
    "greater_than": ("gt", "{v} must be greater than {b}"),
    "less_than": ("lt", "{v} must be less than {b}"),
}


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "<root>"


def excerpt(value: Any) -> str:
    """A value as it reads in a message: scalars in short, containers by their kind."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    text = repr(value)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 4] + "...'"


def error_messages(exc: ValidationError, prefix: Path) -> list[str]:
    messages = []
    for err in exc.errors():
        error = (err.get("ctx") or {}).get("error")
        if not isinstance(error, FieldErrors):
            messages.append(_message(err, prefix))
            continue
        for part in error.errors:
            one: ErrorDetails = {**err, "ctx": {"error": part}}
            messages.append(_message(one, prefix))
    return messages


def _message(err: ErrorDetails, prefix: Path) -> str:
    loc = _field_path(err)
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"{format_path((*prefix, *loc[:-1]))}: unknown field {str(loc[-1])!r}"
    if "[key]" in err["loc"]:
        loc = loc[:-1]
    return f"{format_path((*prefix, *loc))}: {_problem(kind, value, ctx, err['msg'])}"


def _problem(kind: str, value: Any, ctx: dict[str, Any], fallback: str) -> str:
    if kind == "missing":
        return "required"
    if kind in _TYPES:
        return f"must be {_TYPES[kind]}, got {excerpt(value)}"
    if kind == "string_pattern_mismatch":
        meaning = MEANINGS.get(ctx["pattern"], f"text matching {ctx['pattern']}")
        return f"{excerpt(value)} is not {meaning}"
    if kind == "string_too_long":
        return f"{len(value)} characters, more than the limit of {ctx['max_length']}"
    if kind == "string_too_short":
        return f"must have at least {ctx['min_length']} character(s)"
    if kind == "too_long":
        return f"{ctx['actual_length']} items, more than the limit of {ctx['max_length']}"
    if kind == "too_short":
        return f"{ctx['actual_length']} items, fewer than the minimum of {ctx['min_length']}"
    if kind in _BOUNDS:
        key, template = _BOUNDS[kind]
        return template.format(v=excerpt(value), b=ctx[key])
    if kind == "literal_error":
        return f"{excerpt(value)} is not one of {ctx['expected']}"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "value_error":
        error = ctx.get("error")
        return error.message if isinstance(error, FieldError) else str(error)
    return fallback


def _field_path(err: ErrorDetails) -> Path:
    """Where the error belongs: below the model that raised it when a FieldError says so."""
    error = (err.get("ctx") or {}).get("error")
    below = error.path if isinstance(error, FieldError) else ()
    return tuple(p for p in err["loc"] if p != "[key]") + below
