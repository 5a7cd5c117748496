"""OpenAPI v3 documents, as kubectl reads them for `explain` and for `apply` validation.

CRD kinds carry their openAPIV3Schema. Built-in kinds carry an open schema: the emulator
does not know their fields, so it never claims one is unknown. Every write operation
lists the fieldValidation parameter, so kubectl leaves field validation to the server
(fieldvalidation.py) instead of downloading the protobuf-only OpenAPI v2 document."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from pixelproof_localcluster import discovery, errors
from pixelproof_localcluster.resources import ResourceRegistry, ResourceSpec

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string", "default": ""}}
_OBJECT_META_SCHEMA = {
    "description": "ObjectMeta is metadata that all persisted resources must have.",
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Name must be unique within a namespace."},
        "namespace": {"type": "string", "description": "The namespace the object is in."},
        "labels": {**_STRING_MAP, "description": "Labels to organize and select objects."},
        "annotations": {**_STRING_MAP, "description": "Unstructured data set by tools."},
        "uid": {"type": "string", "description": "Set by the server; unique in time and space."},
        "resourceVersion": {"type": "string", "description": "Changes with every write."},
        "generation": {"type": "integer", "format": "int64", "description": "Spec version."},
        "creationTimestamp": {"type": "string", "format": "date-time"},
        "deletionTimestamp": {"type": "string", "format": "date-time"},
        "finalizers": {"type": "array", "items": {"type": "string", "default": ""}},
        "ownerReferences": {
            "type": "array",
            "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
        "generateName": {"type": "string"},
        "managedFields": {
            "type": "array",
            "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    },
}
_TYPE_FIELDS = {
    "apiVersion": {
        "type": "string",
        "description": "The versioned schema of this representation of an object.",
    },
    "kind": {"type": "string", "description": "The REST resource this object represents."},
}
_WRITE_PARAMETERS = [
    {
        "name": "fieldValidation",
        "in": "query",
        "description": "How the server treats unknown fields: Ignore, Warn or Strict.",
        "schema": {"type": "string", "uniqueItems": True},
    },
    {
        "name": "dryRun",
        "in": "query",
        "description": "All: validate without storing.",
        "schema": {"type": "string", "uniqueItems": True},
    },
]


def group_version_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def schema_name(spec: ResourceSpec) -> str:
    """Definition names as the real server spells them (dev.pixelproof.v1alpha1.ModelRollout)."""
    if spec.group == "apiextensions.k8s.io":
        prefix = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions"
    elif not spec.group or spec.group.endswith(".k8s.io") or "." not in spec.group:
        prefix = f"io.k8s.api.{spec.group.split('.')[0] or 'core'}"
    else:
        prefix = ".".join(reversed(spec.group.split(".")))
    return f"{prefix}.{spec.version}.{spec.kind}"


def _gvk(spec: ResourceSpec) -> dict[str, str]:
    return {"group": spec.group, "version": spec.version, "kind": spec.kind}


def _schema(registry: ResourceRegistry, spec: ResourceSpec) -> dict[str, Any]:
    version = registry.crd_version(spec) or {}
    given = (version.get("schema") or {}).get("openAPIV3Schema")
    schema: dict[str, Any]
    if given:
        schema = dict(copy.deepcopy(given))
    else:
        schema = {
            "type": "object",
            "description": f"{spec.kind} ({spec.api_version}).",
            "x-kubernetes-preserve-unknown-fields": True,
        }
    properties = schema.setdefault("properties", {})
    properties.update(copy.deepcopy(_TYPE_FIELDS))
    properties["metadata"] = {
        "description": "Standard object's metadata.",
        "default": {},
        "allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}],
    }
    schema["x-kubernetes-group-version-kind"] = [_gvk(spec)]
    return schema


def _operation(spec: ResourceSpec, action: str, verb: str, write: bool) -> dict[str, Any]:
    content = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name(spec)}"}}
    }
    operation: dict[str, Any] = {
        "operationId": f"{verb}{spec.kind}",
        "responses": {"200": {"description": "OK", "content": content}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(spec),
    }
    if write:
        operation["parameters"] = copy.deepcopy(_WRITE_PARAMETERS)
        operation["requestBody"] = {"content": content, "required": True}
    return operation


def _paths(spec: ResourceSpec) -> dict[str, Any]:
    base = "/" + group_version_path(spec.group, spec.version)
    collection = (
        f"{base}/namespaces/{{namespace}}/{spec.plural}"
        if spec.namespaced
        else f"{base}/{spec.plural}"
    )
    return {
        collection: {
            "get": _operation(spec, "list", "list", False),
            "post": _operation(spec, "post", "create", True),
        },
        f"{collection}/{{name}}": {
            "get": _operation(spec, "get", "read", False),
            "put": _operation(spec, "put", "replace", True),
            "patch": _operation(spec, "patch", "patch", True),
            "delete": _operation(spec, "delete", "delete", False),
        },
    }


def group_version_document(registry: ResourceRegistry, group: str, version: str) -> dict[str, Any]:
    specs = registry.in_group_version(group, version)
    if not specs:
        raise errors.not_found("openapi", "", group_version_path(group, version))
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {OBJECT_META: copy.deepcopy(_OBJECT_META_SCHEMA)}
    for spec in specs:
        paths.update(_paths(spec))
        schemas[schema_name(spec)] = _schema(registry, spec)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": discovery.SERVER_VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def root_document(registry: ResourceRegistry) -> dict[str, Any]:
    """The index of group-version documents; each URL's hash changes with its content,
    so kubectl's cache notices a newly registered CRD."""
    paths = {}
    for group, versions in sorted(registry.group_versions().items()):
        for version in versions:
            document = json.dumps(group_version_document(registry, group, version), sort_keys=True)
            digest = hashlib.sha256(document.encode()).hexdigest()[:32].upper()
            path = group_version_path(group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


def serve(registry: ResourceRegistry, path: str) -> dict[str, Any]:
    """The document at /openapi/v3[/api/v1 | /apis/group/version]."""
    parts = [part for part in path.split("/") if part][2:]
    if not parts:
        return root_document(registry)
    if parts[:1] == ["api"] and len(parts) == 2:
        return group_version_document(registry, "", parts[1])
    if parts[:1] == ["apis"] and len(parts) == 3:
        return group_version_document(registry, parts[1], parts[2])
    raise errors.not_found("openapi", "", path)
