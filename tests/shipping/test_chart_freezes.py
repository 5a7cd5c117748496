"""The chart tells the operator where campaign freezes for every rollout live, and lets
it list ConfigMaps there in namespaced RBAC mode too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixelproof_testkit.charts import NAMESPACE, of_kind, one, render


def _args(docs: list[dict[str, Any]]) -> str:
    deployment = one(docs, "Deployment", "pixelproof")
    return " ".join(deployment["spec"]["template"]["spec"]["containers"][0]["args"])


def test_cluster_mode_reads_freezes_in_the_release_namespace(helm: Path) -> None:
    docs = render(helm)
    assert f"--freeze-namespace={NAMESPACE}" in _args(docs)
    assert not [r for r in of_kind(docs, "Role") if r["metadata"]["name"].endswith("-freezes")]


def test_namespaced_mode_grants_listing_in_the_freeze_namespace(helm: Path) -> None:
    values = {"rbac": {"namespaced": True}, "watchNamespaces": ["imagegen"]}
    assert "--freeze-namespace" not in _args(render(helm, values))
    docs = render(helm, {**values, "freezeNamespace": "change-board"})
    assert "--freeze-namespace=change-board" in _args(docs)
    role = one(docs, "Role", "pixelproof-freezes")
    assert role["metadata"]["namespace"] == "change-board"
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}]
    binding = one(docs, "RoleBinding", "pixelproof-freezes")
    assert binding["roleRef"]["name"] == "pixelproof-freezes"
    watched = render(helm, {**values, "freezeNamespace": "imagegen"})
    assert not [
        r for r in of_kind(watched, "Role") if r["metadata"]["name"] == "pixelproof-freezes"
    ]
