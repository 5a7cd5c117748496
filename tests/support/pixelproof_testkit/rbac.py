"""What the chart's RBAC grants the operator, read from rendered manifests."""

from __future__ import annotations

from typing import Any

from .charts import of_kind

WATCHED = ["imagegen", "posters"]


def rules_by_scope(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rules the operator's ServiceAccount is bound to: cluster-wide ("*"), and per namespace."""
    bound: dict[str, list[dict[str, Any]]] = {}
    roles: dict[tuple[str, ...], dict[str, Any]] = {
        ("ClusterRole", r["metadata"]["name"]): r for r in of_kind(docs, "ClusterRole")
    }
    roles |= {
        ("Role", r["metadata"]["namespace"], r["metadata"]["name"]): r
        for r in of_kind(docs, "Role")
    }
    for binding in of_kind(docs, "ClusterRoleBinding") + of_kind(docs, "RoleBinding"):
        if not any(s["name"] == "pixelproof" for s in binding["subjects"]):
            continue
        ref = binding["roleRef"]
        if ref["kind"] == "ClusterRole":
            key: tuple[str, ...] = ("ClusterRole", ref["name"])
        else:
            key = ("Role", binding["metadata"]["namespace"], ref["name"])
        scope = "*" if binding["kind"] == "ClusterRoleBinding" else binding["metadata"]["namespace"]
        bound.setdefault(scope, []).extend(roles[key]["rules"])
    return bound


def granted(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (g, r, v)
        for rule in rules
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }
