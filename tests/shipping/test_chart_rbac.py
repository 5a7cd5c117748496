"""The chart's RBAC: no wildcards, and exactly the permissions the operator declares in
pixelproof.controller.permissions, in cluster-wide and namespaced mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixelproof.controller.permissions import CLUSTER_SCOPED, PERMISSIONS, Permission
from pixelproof_testkit.charts import of_kind, one, render
from pixelproof_testkit.rbac import WATCHED, granted, rules_by_scope

# kopf uses a ClusterKopfPeering when watching all namespaces and a KopfPeering per
# namespace otherwise, so each mode is granted only its own kind.
PEERING_OF_MODE = {False: "clusterkopfpeerings", True: "kopfpeerings"}
# Declared, but granted only when the chart value that opts in is on: Secrets named by
# spec.notifications.webhook.secretKeyRef, with rbac.readSecrets (off by default).
OPTIONAL_GRANTS = {(p.api_group, p.resource, v) for p in PERMISSIONS if p.opt_in for v in p.verbs}


def declared(namespaced: bool) -> list[Permission]:
    """The operator's permissions that apply in this RBAC mode."""
    other = PEERING_OF_MODE[not namespaced]
    return [
        p
        for p in PERMISSIONS
        if not (p.api_group == "kopf.dev" and p.resource == other) and p.opt_in is None
    ]


@pytest.mark.parametrize("namespaced", [False, True])
def test_no_role_uses_a_wildcard(helm: Path, namespaced: bool) -> None:
    docs = render(helm, {"rbac": {"namespaced": namespaced}, "watchNamespaces": WATCHED})
    for role in of_kind(docs, "ClusterRole") + of_kind(docs, "Role"):
        for rule in role["rules"]:
            for key in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule.get(key, []), (
                    f"{role['kind']} {role['metadata']['name']}: {key} has *"
                )
            assert "nonResourceURLs" not in rule


@pytest.mark.parametrize("namespaced", [False, True])
def test_roles_grant_exactly_the_declared_permissions(helm: Path, namespaced: bool) -> None:
    rules = rules_by_scope(
        render(helm, {"rbac": {"namespaced": namespaced}, "watchNamespaces": WATCHED})
    )
    assert sorted(rules) == (["*", *WATCHED] if namespaced else ["*"])
    wanted = {(p.api_group, p.resource, v) for p in declared(namespaced) for v in p.verbs}
    for scope in WATCHED if namespaced else ["*"]:
        reachable = granted(rules[scope]) | granted(rules["*"])
        missing = wanted - reachable
        assert not missing, f"{scope}: declared but not granted: {sorted(missing)}"
        extra = reachable - wanted - OPTIONAL_GRANTS
        assert not extra, f"{scope}: granted beyond what the operator declares: {sorted(extra)}"


def test_namespaced_mode_grants_only_cluster_scoped_resources_cluster_wide(helm: Path) -> None:
    rules = rules_by_scope(render(helm, {"rbac": {"namespaced": True}, "watchNamespaces": WATCHED}))
    for group, resource, verb in granted(rules["*"]):
        assert resource in CLUSTER_SCOPED, (
            f"{group}/{resource} {verb} granted cluster-wide in namespaced mode"
        )
        assert resource != "clusterkopfpeerings"


def test_secrets_are_readable_only_when_asked_for(helm: Path) -> None:
    assert {("", "secrets", "get")} == OPTIONAL_GRANTS
    closed = rules_by_scope(render(helm, {"watchNamespaces": WATCHED}))
    assert not [t for scope in closed.values() for t in granted(scope) if t[1] == "secrets"]
    opened = rules_by_scope(
        render(helm, {"rbac": {"readSecrets": True}, "watchNamespaces": WATCHED})
    )
    assert ("", "secrets", "get") not in granted(opened["*"])
    for namespace in WATCHED:
        assert ("", "secrets", "get") in granted(opened[namespace])


def test_evaluator_service_account_is_bound_to_nothing(helm: Path) -> None:
    docs = render(helm, {"rbac": {"namespaced": True}, "watchNamespaces": ["imagegen"]})
    evaluator = one(docs, "ServiceAccount", "pixelproof-evaluator")
    assert evaluator["automountServiceAccountToken"] is False
    for binding in of_kind(docs, "ClusterRoleBinding") + of_kind(docs, "RoleBinding"):
        assert all(s["name"] != "pixelproof-evaluator" for s in binding["subjects"])


def test_rbac_can_be_left_to_the_cluster_admin(helm: Path) -> None:
    docs = render(helm, {"rbac": {"create": False}})
    assert not [
        d for d in docs if d["kind"] in {"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"}
    ]
