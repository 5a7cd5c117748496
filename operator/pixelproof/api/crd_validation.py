"""The API server's verdict on a ModelRollout spec, from the generated CRD alone: defaults
applied, then the structural schema (unknown fields rejected, as kubectl's strict field
validation does; patterns with Go RE2 semantics), then the CEL rules
(x-kubernetes-validations) evaluated by a real CEL implementation. It never reads the
models, so comparing its verdict with theirs shows where the CRD and the models part."""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import celpy
import jsonschema
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError

from .crd import build_crd
from .messages import Path, format_path
from .wire import to_wire


def _is_sorted(items: celtypes.ListType) -> celtypes.BoolType:
    values: list[Any] = list(items)
    return celtypes.BoolType(all(a <= b for a, b in itertools.pairwise(values)))


# Functions of the Kubernetes CEL library that the rules use and cel-python lacks.
KUBERNETES_FUNCTIONS: dict[str, Callable[..., Any]] = {"isSorted": _is_sorted}


def go_pattern(pattern: str) -> str:
    """`pattern` for Python's re with RE2's meaning: a final `$` matches only at the end."""
    return (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    )


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, str) and not re.search(go_pattern(pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _int_or_string(
    validator: Any, enabled: bool, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    is_int = isinstance(instance, int) and not isinstance(instance, bool)
    if enabled and not (is_int or isinstance(instance, str)):
        yield jsonschema.ValidationError(f"{instance!r} is not an integer or a string")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft4Validator,
    {"pattern": _pattern, "x-kubernetes-int-or-string": _int_or_string},
)


def _strict(node: Any) -> Any:
    """A copy of the schema where objects with declared properties reject unknown ones."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items()}
    if "properties" in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


@cache
def spec_schema() -> dict[str, Any]:
    crd = build_crd()
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return dict(schema["properties"]["spec"])


@cache
def _validator() -> Any:
    return _Validator(_strict(copy.deepcopy(spec_schema())))


def _defaulted(value: Any, schema: dict[str, Any]) -> Any:
    """`value` with the schema's defaults filled in, as the API server does before validating."""
    if isinstance(value, dict) and "properties" in schema:
        out = dict(value)
        for name, child in schema["properties"].items():
            if name not in out and "default" in child:
                out[name] = copy.deepcopy(child["default"])
            if name in out:
                out[name] = _defaulted(out[name], child)
        return out
    if isinstance(value, list) and "items" in schema:
        return [_defaulted(item, schema["items"]) for item in value]
    return value


def _schema_errors(spec: Any) -> list[str]:
    errors = []
    for err in sorted(_validator().iter_errors(spec), key=lambda e: list(map(str, e.path))):
        where = format_path(("spec", *err.absolute_path))
        if err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            errors.append(f"{where}: unknown field {', '.join(repr(e) for e in extra)}")
        else:
            errors.append(f"{where}: {err.message}")
    return errors


@cache
def _program(rule: str) -> celpy.Runner:
    env = celpy.Environment()
    return env.program(env.compile(rule), functions=KUBERNETES_FUNCTIONS)


def _typed(value: Any, schema: dict[str, Any]) -> Any:
    """Integers in `number` fields as doubles: CEL sees a field's value with its schema's type."""
    if schema.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: _typed(v, properties.get(k, {})) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v, schema.get("items", {})) for v in value]
    return value


def _cel_errors(value: Any, schema: dict[str, Any], path: Path) -> list[str]:
    errors: list[str] = []
    for rule in schema.get("x-kubernetes-validations", []):
        where = format_path(path) + rule.get("fieldPath", "")
        try:
            ok = _program(rule["rule"]).evaluate({"self": json_to_cel(_typed(value, schema))})
        except CELEvalError as exc:
            errors.append(f"{where}: rule {rule['rule']!r} could not be evaluated: {exc}")
            continue
        if not bool(ok):
            errors.append(f"{where}: {rule.get('message', 'failed rule ' + rule['rule'])}")
    if isinstance(value, dict):
        for name, child in schema.get("properties", {}).items():
            if name in value:
                errors.extend(_cel_errors(value[name], child, (*path, name)))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors.extend(_cel_errors(item, schema["items"], (*path, index)))
    return errors


def crd_spec_errors(spec: Any) -> list[str]:
    """Every reason the API server would reject this spec; empty when it is valid."""
    wire = to_wire(spec, ("spec",))
    if wire.problems:
        return wire.problems
    if wire.value is None:
        return ["spec: required"]
    value = _defaulted(wire.value, spec_schema())
    return _schema_errors(value) or _cel_errors(value, spec_schema(), ("spec",))
