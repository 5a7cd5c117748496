"""API discovery documents, built from the registry of served resources."""

from __future__ import annotations

from typing import Any

from pixelproof_localcluster import errors
from pixelproof_localcluster.resources import ALL_VERBS, ResourceRegistry, ResourceSpec

SERVER_VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-localcluster",
    "gitCommit": "",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "python",
    "compiler": "python",
    "platform": "linux/amd64",
}


def api_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}


def _group_entry(group: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: ResourceRegistry) -> dict[str, Any]:
    groups = [
        _group_entry(group, versions)
        for group, versions in sorted(registry.group_versions().items())
        if group
    ]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: ResourceRegistry, group: str) -> dict[str, Any]:
    versions = registry.group_versions().get(group)
    if not group or not versions:
        raise errors.not_found("groups", "", group)
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}


def _entries(spec: ResourceSpec) -> list[dict[str, Any]]:
    main = {
        "name": spec.plural,
        "singularName": spec.singular,
        "namespaced": spec.namespaced,
        "kind": spec.kind,
        "verbs": list(ALL_VERBS),
        "shortNames": list(spec.short_names),
        "categories": list(spec.categories),
    }
    subresources = []
    for sub in sorted(spec.subresources):
        entry = {
            "name": f"{spec.plural}/{sub}",
            "singularName": "",
            "namespaced": spec.namespaced,
            "kind": spec.kind,
            "verbs": ["get", "patch", "update"],
        }
        if sub == "scale":
            entry.update(kind="Scale", group="autoscaling", version="v1")
        subresources.append(entry)
    return [main, *subresources]


def api_resource_list(registry: ResourceRegistry, group: str, version: str) -> dict[str, Any]:
    specs = registry.in_group_version(group, version)
    if not specs:
        raise errors.not_found("groupversions", group, version)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [entry for spec in specs for entry in _entries(spec)],
    }
