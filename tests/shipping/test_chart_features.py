"""Chart features beyond the operator itself: the CRD upgrade path, roles aggregated into
the cluster's view/edit/admin, settable security contexts and extras, and disruption
budgets that never block a node drain. Rendered and refused by the real helm."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixelproof_testkit.charts import CHART, HelmError, of_kind, one, render, run_helm

MODEL_ROLLOUT_CRD = "modelrollouts.pixelproof.dev"
GATE_SET_CRDS = ("gatesets.pixelproof.dev", "clustergatesets.pixelproof.dev")


def crds(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in of_kind(docs, "CustomResourceDefinition")}


def test_the_model_rollout_crd_is_a_template_so_upgrades_update_it(helm: Path) -> None:
    # --skip-crds leaves out only crds/; what stays is what helm upgrade applies.
    rendered = crds(render(helm, include_crds=False))
    assert sorted(rendered) == sorted([MODEL_ROLLOUT_CRD, *GATE_SET_CRDS])
    for name in (MODEL_ROLLOUT_CRD, *GATE_SET_CRDS):
        crd = rendered[name]
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert crd["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        generated = yaml.safe_load((CHART / "files" / "crds" / f"{name}.yaml").read_text())
        assert crd["spec"] == generated["spec"]
        assert crd["metadata"]["name"] == generated["metadata"]["name"]
    assert rendered["clustergatesets.pixelproof.dev"]["spec"]["scope"] == "Cluster"
    assert rendered["gatesets.pixelproof.dev"]["spec"]["scope"] == "Namespaced"


def test_crd_keep_and_install_can_be_turned_off(helm: Path) -> None:
    loose = crds(render(helm, {"crds": {"keep": False}}))[MODEL_ROLLOUT_CRD]
    assert "helm.sh/resource-policy" not in loose["metadata"].get("annotations", {})
    annotated = {"crds": {"annotations": {"argocd.argoproj.io/sync-options": "Replace=true"}}}
    annotations = crds(render(helm, annotated))[MODEL_ROLLOUT_CRD]["metadata"]["annotations"]
    assert annotations == {
        "helm.sh/resource-policy": "keep",
        "argocd.argoproj.io/sync-options": "Replace=true",
    }
    left_to_admin = crds(render(helm, {"crds": {"install": False}}))
    assert sorted(left_to_admin) == ["clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"]


def rules_of(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_namespace_users_get_rollout_rights_through_aggregated_roles(helm: Path) -> None:
    docs = render(helm)
    view = one(docs, "ClusterRole", "pixelproof-view")
    edit = one(docs, "ClusterRole", "pixelproof-edit")
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    for target in ("edit", "admin"):
        assert edit["metadata"]["labels"][f"rbac.authorization.k8s.io/aggregate-to-{target}"] == (
            "true"
        )
    group = "pixelproof.dev"
    assert rules_of(view) == {
        (group, resource, verb)
        for resource in ("modelrollouts", "modelrollouts/status", "gatesets")
        for verb in ("get", "list", "watch")
    }
    # The built-in edit role includes view, so edit adds only the writes; promote, abort
    # and retry are annotations on the rollout: a patch.
    assert (group, "modelrollouts", "patch") in rules_of(edit)
    assert (group, "gatesets", "create") in rules_of(edit)
    assert not {r for r in rules_of(edit) if r[1] not in ("modelrollouts", "gatesets")}
    bound = {b["roleRef"]["name"] for b in of_kind(docs, "ClusterRoleBinding")}
    assert not bound & {"pixelproof-view", "pixelproof-edit"}
    off = render(helm, {"rbac": {"aggregateToDefaultRoles": False}})
    assert {r["metadata"]["name"] for r in of_kind(off, "ClusterRole")} == {
        "pixelproof",
        "pixelproof-cluster",
    }


def pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = one(docs, "Deployment")["spec"]["template"]["spec"]
    return spec


def test_security_contexts_are_settable_and_uids_can_be_left_to_openshift(helm: Path) -> None:
    openshift = {"podSecurityContext": {"runAsUser": None, "runAsGroup": None, "fsGroup": None}}
    pod = pod_spec(render(helm, openshift))
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # Helm merges a map given in values into the default one; null removes a key.
    container = {"securityContext": {"runAsUser": 1000680000, "runAsNonRoot": None}}
    (operator,) = pod_spec(render(helm, container))["containers"]
    assert operator["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "runAsUser": 1000680000,
    }


def test_extra_volumes_mounts_and_env_reach_the_operator(helm: Path) -> None:
    values = {
        "extraVolumes": [{"name": "ca", "configMap": {"name": "prometheus-ca"}}],
        "extraVolumeMounts": [{"name": "ca", "mountPath": "/etc/pixelproof/ca"}],
        "extraEnv": [{"name": "SSL_CERT_DIR", "value": "/etc/pixelproof/ca"}],
    }
    pod = pod_spec(render(helm, values))
    (operator,) = pod["containers"]
    assert {"name": "ca", "configMap": {"name": "prometheus-ca"}} in pod["volumes"]
    assert [m["mountPath"] for m in operator["volumeMounts"]] == ["/tmp", "/etc/pixelproof/ca"]
    assert {"name": "SSL_CERT_DIR", "value": "/etc/pixelproof/ca"} in operator["env"]


def test_extra_args_reach_the_operator_verbatim(helm: Path, tmp_path: Path) -> None:
    """The container's shell line, run for real with a stand-in `pixelproof`: extra
    arguments arrive after the chart's, untouched by the shell."""
    extra = ["--log-format=json", "two words", "$(touch pwned)", "'quoted'"]
    (operator,) = pod_spec(render(helm, {"extraArgs": extra}))["containers"]
    stand_in = tmp_path / "pixelproof"
    stand_in.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    stand_in.chmod(0o755)
    done = subprocess.run(
        [*operator["command"], *operator["args"]],
        capture_output=True,
        text=True,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "POD_UID": "6f1c2a9e"},
        cwd=tmp_path,
        timeout=30,
        check=True,
    )
    arguments = done.stdout.splitlines()
    assert arguments[0] == "operator"
    assert arguments[-len(extra) :] == extra
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ({}, {"minAvailable": 1}),
        ({"maxUnavailable": 1}, {"maxUnavailable": 1}),
        ({"maxUnavailable": "50%"}, {"maxUnavailable": "50%"}),
        ({"minAvailable": "50%"}, {"minAvailable": "50%"}),
    ],
)
def test_disruption_budget_takes_min_available_or_max_unavailable(
    helm: Path, budget: dict[str, Any], expected: dict[str, Any]
) -> None:
    spec = one(render(helm, {"podDisruptionBudget": budget}), "PodDisruptionBudget")["spec"]
    assert {k: v for k, v in spec.items() if k != "selector"} == expected


@pytest.mark.parametrize(
    "budget",
    [{"maxUnavailable": 0}, {"maxUnavailable": "0%"}, {"minAvailable": "100%"}],
)
def test_schema_rejects_a_budget_that_lets_no_pod_go(helm: Path, budget: dict[str, Any]) -> None:
    with pytest.raises(HelmError, match="/podDisruptionBudget/"):
        render(helm, {"podDisruptionBudget": budget})


@pytest.mark.parametrize(
    ("values", "ok"),
    [
        ({"replicaCount": 2, "podDisruptionBudget": {"minAvailable": 2}}, False),
        ({"replicaCount": 3, "podDisruptionBudget": {"minAvailable": 5}}, False),
        # Kubernetes rounds 60% of 2 up to 2.
        ({"replicaCount": 2, "podDisruptionBudget": {"minAvailable": "60%"}}, False),
        ({"replicaCount": 3, "podDisruptionBudget": {"minAvailable": 2}}, True),
        ({"replicaCount": 3, "podDisruptionBudget": {"minAvailable": "60%"}}, True),
        (
            {"replicaCount": 2, "podDisruptionBudget": {"minAvailable": 2, "maxUnavailable": 1}},
            True,
        ),
        ({"replicaCount": 1, "podDisruptionBudget": {"minAvailable": 1}}, True),
    ],
)
def test_chart_refuses_a_budget_that_keeps_every_replica(
    helm: Path, values: dict[str, Any], ok: bool
) -> None:
    if ok:
        render(helm, values)
        return
    with pytest.raises(HelmError, match="no node could ever be drained"):
        render(helm, values)


def test_chart_metadata_names_its_home_sources_and_maintainers(helm: Path) -> None:
    chart = yaml.safe_load(run_helm(helm, "show", "chart", str(CHART)).stdout)
    assert chart["home"].startswith("https://")
    assert chart["icon"].endswith("/charts/pixelproof/icon.svg")
    assert (CHART / "icon.svg").is_file()
    assert chart["sources"] and all(s.startswith("https://") for s in chart["sources"])
    assert all(m["name"] and m["email"] for m in chart["maintainers"])
    assert {"progressive-delivery", "canary"} <= set(chart["keywords"])
