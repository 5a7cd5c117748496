"""Server-side field validation (the fieldValidation query parameter) for CRD kinds.

Unknown fields are those a structural schema does not declare; `Strict` refuses them as
the real server does, `Warn` names them in Warning headers, `Ignore` (and built-in
kinds, whose schemas the emulator does not know) lets them be dropped silently. Under
`Warn` and `Ignore` the unknown fields are pruned from the body before it is stored, as a
real server prunes by the structural schema, so admission never sees them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pixelproof_localcluster import errors
from pixelproof_localcluster.resources import ResourceRegistry, ResourceSpec

_SERVER_FIELDS = ("apiVersion", "kind", "metadata")


def unknown_fields(schema: Mapping[str, Any], value: Any, path: str = "") -> list[str]:
    """Dotted paths of the fields in `value` that `schema` does not declare."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [
            field
            for index, item in enumerate(value)
            for field in unknown_fields(schema["items"], item, f"{path}[{index}]")
        ]
    if not isinstance(value, Mapping):
        return []
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    found: list[str] = []
    for key, item in value.items():
        if item is None:
            continue  # a merge patch's deletion: it adds no field
        where = f"{path}.{key}" if path else str(key)
        if isinstance(properties, Mapping) and key in properties:
            found += unknown_fields(properties[key], item, where)
        elif isinstance(extra, Mapping):
            found += unknown_fields(extra, item, where)
        elif properties is not None or extra is False:
            found.append(where)
    return found


def prune(schema: Mapping[str, Any], value: Any) -> None:
    """Removes, in place, the fields of `value` that `schema` does not declare."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for item in value:
            prune(schema["items"], item)
        return
    if not isinstance(value, dict):
        return
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    for key in list(value):
        if isinstance(properties, Mapping) and key in properties:
            prune(properties[key], value[key])
        elif isinstance(extra, Mapping):
            prune(extra, value[key])
        elif (properties is not None or extra is False) and value[key] is not None:
            del value[key]


def check(
    registry: ResourceRegistry, spec: ResourceSpec, body: Any, params: Mapping[str, str]
) -> list[str]:
    """Warnings to return for the write; raises 400 for unknown fields under Strict."""
    directive = params.get("fieldValidation") or "Ignore"
    if directive not in ("Ignore", "Warn", "Strict"):
        raise errors.bad_request(
            f"fieldValidation must be Ignore, Warn or Strict, got {directive!r}"
        )
    version = registry.crd_version(spec)
    schema = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
    if not schema or not isinstance(body, dict):
        return []
    checked = {k: v for k, v in body.items() if k not in _SERVER_FIELDS}
    unknown = unknown_fields(schema, checked)
    if not unknown:
        return []
    if directive == "Strict":
        listed = ", ".join(f'unknown field "{field}"' for field in unknown)
        raise errors.bad_request(
            f"{spec.kind} in version {spec.version!r} cannot be handled as a {spec.kind}: "
            f"strict decoding error: {listed}"
        )
    server_fields = {k: body.pop(k) for k in _SERVER_FIELDS if k in body}
    prune(schema, body)
    body.update(server_fields)
    if directive == "Ignore":
        return []
    return [f'unknown field "{field}"' for field in unknown]
