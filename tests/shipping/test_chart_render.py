"""The Helm chart, rendered by the real helm binary and validated against Kubernetes schemas."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from pixelproof_testkit.charts import (
    CHART,
    KUBE_VERSIONS,
    NAMESPACE,
    REPO,
    HelmError,
    check_custom_resource,
    crd_schemas,
    of_kind,
    one,
    render,
    run_helm,
)

BUILT_IN_GROUPS = {
    "",
    "apps",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "apiextensions.k8s.io",
}
SCENARIOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "namespaced": {"rbac": {"namespaced": True}, "watchNamespaces": ["imagegen", "posters"]},
    "watch-some-cluster-rbac": {"watchNamespaces": ["imagegen"]},
    "everything-on": {
        "serviceMonitor": {
            "enabled": True,
            "labels": {"release": "kube-prometheus-stack"},
            "interval": "15s",
            "scheme": "https",
            "tlsConfig": {
                "serverName": "pixelproof-metrics",
                "ca": {"configMap": {"name": "ca", "key": "ca.crt"}},
            },
            "relabelings": [{"targetLabel": "cluster", "replacement": "east"}],
            "metricRelabelings": [
                {"sourceLabels": ["__name__"], "regex": "pixelproof_reconcile_.*", "action": "drop"}
            ],
        },
        "prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "grafana": {"dashboards": {"enabled": True, "namespace": "monitoring"}},
        "networkPolicy": {
            "metricsFrom": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    }
                }
            ],
            "egress": {
                "enabled": True,
                "extra": [
                    {
                        "to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
                        "ports": [{"port": 9090, "protocol": "TCP"}],
                    }
                ],
            },
        },
        "image": {"digest": "sha256:" + "a" * 64},
        "imagePullSecrets": [{"name": "registry"}],
        "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
        "extraArgs": ["--verbose"],
        "extraVolumes": [{"name": "ca", "configMap": {"name": "prometheus-ca"}}],
        "extraVolumeMounts": [{"name": "ca", "mountPath": "/etc/pixelproof/ca", "readOnly": True}],
        "podDisruptionBudget": {"maxUnavailable": 1},
        "crds": {"annotations": {"argocd.argoproj.io/sync-options": "ServerSideApply=true"}},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "logLevel": "debug",
    },
    "single-replica": {"replicaCount": 1, "networkPolicy": {"enabled": False}},
    # OpenShift's restricted SCC assigns the UID and GID from the namespace's range.
    "openshift": {
        "podSecurityContext": {"runAsUser": None, "runAsGroup": None, "fsGroup": None},
        "crds": {"install": False},
        "rbac": {"aggregateToDefaultRoles": False},
    },
}


def test_helm_lint_passes_strict(helm: Path) -> None:
    done = run_helm(helm, "lint", "--strict", str(CHART))
    assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_rendered_manifest_is_valid(helm: Path, scenario: str, kube_version: str) -> None:
    docs = render(helm, SCENARIOS[scenario], kube_version=kube_version)
    crds = crd_schemas(docs)
    for doc in docs:
        where = f"{doc['kind']} {doc['metadata']['name']}"
        api_group = doc["apiVersion"].rpartition("/")[0]
        if api_group in BUILT_IN_GROUPS:
            try:
                kubernetes_validate.validate(doc, kube_version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{where} is invalid for Kubernetes {kube_version}: {exc.message}")
        else:
            check_custom_resource(doc, crds)


def test_defaults_render_the_expected_objects(helm: Path) -> None:
    docs = render(helm)
    kinds = sorted({d["kind"] for d in docs})
    assert kinds == [
        "ClusterKopfPeering",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "Deployment",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    ]
    crd_names = sorted(d["metadata"]["name"] for d in of_kind(docs, "CustomResourceDefinition"))
    assert crd_names == [
        "clustergatesets.pixelproof.dev",
        "clusterkopfpeerings.kopf.dev",
        "gatesets.pixelproof.dev",
        "kopfpeerings.kopf.dev",
        "modelrollouts.pixelproof.dev",
    ]


def _operator_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = one(docs, "Deployment")
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_operator_deployment_is_hardened_and_probed(helm: Path) -> None:
    docs = render(helm)
    deployment = one(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = _operator_container(docs)
    assert deployment["spec"]["replicas"] == 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    script = container["args"][0]
    assert f"--liveness=http://0.0.0.0:{ports['health']}/healthz" in script
    assert script.startswith("exec pixelproof operator ")
    assert f"--metrics-port={ports['metrics']}" in script
    assert "--log-level=INFO" in script
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_UID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.uid"
    assert "$POD_UID" in script, "replicas need distinct peering priorities"
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}


def test_cluster_mode_watches_all_namespaces_with_a_cluster_peering(helm: Path) -> None:
    docs = render(helm)
    script = _operator_container(docs)["args"][0]
    peering = one(docs, "ClusterKopfPeering")
    assert "--namespace" not in script
    assert f"--peering={peering['metadata']['name']}" in script
    assert not of_kind(docs, "KopfPeering")


def test_namespaced_mode_watches_listed_namespaces_with_a_peering_in_each(helm: Path) -> None:
    docs = render(helm, SCENARIOS["namespaced"])
    script = _operator_container(docs)["args"][0]
    assert "--namespace=imagegen" in script and "--namespace=posters" in script
    peerings = of_kind(docs, "KopfPeering")
    assert sorted(p["metadata"]["namespace"] for p in peerings) == ["imagegen", "posters"]
    assert all(f"--peering={p['metadata']['name']}" in script for p in peerings)
    assert not of_kind(docs, "ClusterKopfPeering")


def test_image_digest_wins_over_tag(helm: Path) -> None:
    container = _operator_container(render(helm, SCENARIOS["everything-on"]))
    assert container["image"] == "ghcr.io/pixelproof/pixelproof-operator@sha256:" + "a" * 64


def test_evaluator_service_account_has_no_token(helm: Path) -> None:
    docs = render(helm, SCENARIOS["namespaced"])
    evaluators = [
        d
        for d in of_kind(docs, "ServiceAccount")
        if d["metadata"]["name"] == "pixelproof-evaluator"
    ]
    assert sorted(sa["metadata"]["namespace"] for sa in evaluators) == ["imagegen", "posters"]
    assert all(sa["automountServiceAccountToken"] is False for sa in evaluators)
    defaults = [
        d
        for d in of_kind(render(helm), "ServiceAccount")
        if d["metadata"]["name"] == "pixelproof-evaluator"
    ]
    assert [sa["metadata"]["namespace"] for sa in defaults] == [NAMESPACE]


def test_metrics_service_selects_the_operator_and_the_service_monitor_selects_the_service(
    helm: Path,
) -> None:
    docs = render(helm, SCENARIOS["everything-on"])
    service = one(docs, "Service")
    pod_labels = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    monitor = one(docs, "ServiceMonitor")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= service_ports


def test_disruption_budget_only_with_more_than_one_replica(helm: Path) -> None:
    budget = one(render(helm), "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert not of_kind(render(helm, SCENARIOS["single-replica"]), "PodDisruptionBudget")


def test_network_policy_admits_probes_and_scrapes_and_optionally_limits_egress(helm: Path) -> None:
    default_policy = one(render(helm), "NetworkPolicy")
    assert default_policy["spec"]["policyTypes"] == ["Ingress"]
    ports = {p["port"] for rule in default_policy["spec"]["ingress"] for p in rule["ports"]}
    assert ports == {"health", "metrics"}
    strict = one(render(helm, SCENARIOS["everything-on"]), "NetworkPolicy")
    assert strict["spec"]["policyTypes"] == ["Ingress", "Egress"]
    egress_ports = {p["port"] for rule in strict["spec"]["egress"] for p in rule["ports"]}
    assert {53, 443, 6443, 9090} <= egress_ports
    metrics_rule = next(r for r in strict["spec"]["ingress"] if r["ports"][0]["port"] == "metrics")
    assert metrics_rule["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "monitoring"
    }


def test_dashboard_config_map_carries_the_dashboard_file(helm: Path) -> None:
    docs = render(helm, SCENARIOS["everything-on"])
    config_map = one(docs, "ConfigMap")
    assert config_map["metadata"]["namespace"] == "monitoring"
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = json.loads((CHART / "dashboards" / "pixelproof.json").read_text())
    assert json.loads(config_map["data"]["pixelproof.json"]) == shipped


@pytest.mark.parametrize(
    "name",
    [
        "modelrollouts.pixelproof.dev.yaml",
        "gatesets.pixelproof.dev.yaml",
        "clustergatesets.pixelproof.dev.yaml",
    ],
)
def test_chart_crd_is_the_generated_crd(name: str) -> None:
    generated = REPO / "crds" / name
    copy = CHART / "files" / "crds" / name
    assert generated.is_file(), (
        f"{generated} is missing: generate it with python -m pixelproof.api.crd"
    )
    assert copy.read_text() == generated.read_text(), (
        f"{copy} differs from {generated}: copy the generated CRD into the chart"
    )


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replicaCount": "two"}, "/replicaCount"),
        ({"replicaCount": 0}, "/replicaCount"),
        ({"rbac": {"namespaced": "yes"}}, "/rbac/namespaced"),
        ({"logLevel": "loud"}, "/logLevel"),
        ({"metrics": {"port": 70000}}, "/metrics/port"),
        ({"watchNamespaces": ["Not_A_Namespace"]}, "/watchNamespaces/0"),
        ({"image": {"digest": "latest"}}, "/image/digest"),
        ({"replicas": 2}, "additional properties 'replicas' not allowed"),
    ],
)
def test_values_schema_rejects_bad_values(
    helm: Path, values: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(HelmError) as failure:
        render(helm, values)
    assert complaint in str(failure.value)


def test_namespaced_rbac_without_namespaces_is_refused_with_a_reason(helm: Path) -> None:
    with pytest.raises(HelmError, match=r"rbac\.namespaced: true needs watchNamespaces"):
        render(helm, {"rbac": {"namespaced": True}})


def test_chart_refuses_clusters_older_than_it_supports(helm: Path) -> None:
    with pytest.raises(HelmError, match="incompatible with Kubernetes"):
        render(helm, kube_version="1.27.0")


def test_operator_command_runs_under_sh_with_a_priority_per_pod(helm: Path, tmp_path: Path) -> None:
    """Run the container's shell line for real, with a stand-in `pixelproof` that prints its
    arguments: each pod UID yields a numeric priority, the same UID the same one."""
    script = _operator_container(render(helm, SCENARIOS["namespaced"]))["args"][0]
    stand_in = tmp_path / "pixelproof"
    stand_in.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    stand_in.chmod(0o755)

    def arguments(uid: str) -> list[str]:
        env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "POD_UID": uid}
        done = subprocess.run(
            ["/bin/sh", "-c", script],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=True,
        )
        return done.stdout.splitlines()

    first = arguments("6f1c2a9e-0000-4000-8000-000000000001")
    second = arguments("6f1c2a9e-0000-4000-8000-000000000002")
    assert first[0] == "operator"
    assert "--namespace=imagegen" in first and "--namespace=posters" in first
    priorities = [next(a for a in args if a.startswith("--priority=")) for args in (first, second)]
    assert all(p.removeprefix("--priority=").isdigit() for p in priorities)
    assert priorities[0] != priorities[1]
    assert arguments("6f1c2a9e-0000-4000-8000-000000000001") == first
