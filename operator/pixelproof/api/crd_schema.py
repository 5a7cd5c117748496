"""Pydantic's JSON Schema of an API model, made a Kubernetes structural schema, and the
CustomResourceDefinition around one."""

from __future__ import annotations

import copy
from typing import Any

from .base import GROUP, VERSION

_DROP = {"title", "discriminator"}


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    """Inline $refs and turn pydantic's JSON Schema into a Kubernetes structural schema."""
    if isinstance(node, list):
        return [_resolve(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _resolve({**target, **extra}, defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(options) == 1:
            return _resolve({**options[0], **rest}, defs)
        node = {**rest, "anyOf": options}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "$defs":
            continue
        if key == "default":
            # A null default says nothing (the API server drops nulls); an empty list is
            # kept so that CEL rules may read the field without has().
            if value is not None and (not isinstance(value, dict | list) or value == []):
                out[key] = value
            continue
        if key == "const":
            out["enum"] = [value]
            continue
        if key == "exclusiveMinimum":
            out["minimum"] = value
            out["exclusiveMinimum"] = True
            continue
        if key == "exclusiveMaximum":
            out["maximum"] = value
            out["exclusiveMaximum"] = True
            continue
        if key == "properties":
            out[key] = {name: _resolve(v, defs) for name, v in value.items()}
            continue
        out[key] = _resolve(value, defs)
    if out.get("additionalProperties") is False:
        del out["additionalProperties"]
    if out.get("additionalProperties") is True or out.get("additionalProperties") == {}:
        del out["additionalProperties"]
        out["x-kubernetes-preserve-unknown-fields"] = True
    if (
        "properties" in out
        or "additionalProperties" in out
        or out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out.setdefault("type", "object")
    if "enum" in out and "type" not in out:
        out["type"] = "string" if all(isinstance(v, str) for v in out["enum"]) else "number"
    return out


def structural(model: type[Any]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return dict(_resolve(schema, schema.get("$defs", {})))


def node_at(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = schema
    for part in path:
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


def crd_document(
    *,
    kind: str,
    plural: str,
    singular: str,
    short_names: list[str],
    namespaced: bool,
    description: str,
    schemas: dict[str, dict[str, Any]],
    printer_columns: list[dict[str, Any]],
    status_subresource: bool,
) -> dict[str, Any]:
    """A pixelproof CRD with one served version; `schemas` are its top-level fields
    besides apiVersion, kind and metadata (spec, status)."""
    version: dict[str, Any] = {"name": VERSION, "served": True, "storage": True}
    if status_subresource:
        version["subresources"] = {"status": {}}
    version["additionalPrinterColumns"] = printer_columns
    version["schema"] = {
        "openAPIV3Schema": {
            "type": "object",
            "description": description,
            "required": ["spec"],
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                **schemas,
            },
        }
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{GROUP}",
            "labels": {"app.kubernetes.io/name": "pixelproof"},
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced" if namespaced else "Cluster",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": singular,
                "shortNames": short_names,
                "categories": ["pixelproof"],
            },
            "versions": [version],
        },
    }
