"""Validate a ModelRollout the way the API server does: the CRD's structural schema
(unknown fields rejected, as kubectl's strict field validation does), then its CEL
rules (x-kubernetes-validations) evaluated by a real CEL implementation."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

import celpy
import jsonschema
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError

from .base import API_VERSION, KIND
from .crd import build_crd


def _is_sorted(items: celtypes.ListType) -> celtypes.BoolType:
    values: list[Any] = list(items)
    return celtypes.BoolType(all(a <= b for a, b in itertools.pairwise(values)))


# Functions of the Kubernetes CEL library that the rules use and cel-python lacks.
KUBERNETES_FUNCTIONS: dict[str, Callable[..., Any]] = {"isSorted": _is_sorted}


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
def _schema() -> dict[str, Any]:
    crd = build_crd()
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


@cache
def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(_strict(copy.deepcopy(_schema())))


def _path(parts: Iterator[Any] | list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"


def _schema_errors(obj: Mapping[str, Any]) -> list[str]:
    errors = []
    for err in sorted(_validator().iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
        where = _path(list(err.absolute_path))
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


def _cel_errors(value: Any, schema: Mapping[str, Any], path: list[Any]) -> list[str]:
    errors: list[str] = []
    for rule in schema.get("x-kubernetes-validations", []):
        where = _path(path) + rule.get("fieldPath", "")
        try:
            ok = _program(rule["rule"]).evaluate({"self": json_to_cel(value)})
        except CELEvalError as exc:
            errors.append(f"{where}: rule {rule['rule']!r} could not be evaluated: {exc}")
            continue
        if not bool(ok):
            errors.append(f"{where}: {rule.get('message', 'failed rule ' + rule['rule'])}")
    if isinstance(value, dict):
        for name, child in schema.get("properties", {}).items():
            if name in value:
                errors.extend(_cel_errors(value[name], child, [*path, name]))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors.extend(_cel_errors(item, schema["items"], [*path, index]))
    return errors


def validate_modelrollout(obj: Mapping[str, Any]) -> list[str]:
    """Every reason the API server would reject this ModelRollout; empty when it is valid."""
    errors = []
    if obj.get("apiVersion") != API_VERSION:
        errors.append(f"apiVersion: expected {API_VERSION!r}, got {obj.get('apiVersion')!r}")
    if obj.get("kind") != KIND:
        errors.append(f"kind: expected {KIND!r}, got {obj.get('kind')!r}")
    if not (obj.get("metadata") or {}).get("name"):
        errors.append("metadata.name: required")
    schema_errors = _schema_errors(obj)
    if schema_errors:
        return errors + schema_errors
    return errors + _cel_errors(dict(obj), _schema(), [])
