"""The chart's defaults grant the least: no Secret reads unless asked for and then only
where listed, evaluator Jobs limited to the chart's ServiceAccount and image repository,
and the metric address allow-list passed to the operator verbatim."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixelproof.controller.main import parser
from pixelproof_testkit.charts import HelmError, of_kind, one, render
from pixelproof_testkit.rbac import WATCHED, granted, rules_by_scope

SECRET_GET = ("", "secrets", "get")


def _secret_rules(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per scope, the rules on Secrets bound to the operator."""
    return {
        scope: [r for r in rules if "secrets" in r["resources"]]
        for scope, rules in rules_by_scope(docs).items()
    }


def _operator_args(docs: list[dict[str, Any]]) -> list[str]:
    """What `pixelproof operator` receives as "$@" (after the $0 placeholder)."""
    container = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    return list(args[args.index("pixelproof") + 1 :])


def test_chart_default_reads_no_secret_at_all(helm: Path) -> None:
    for values in (
        {},
        {"watchNamespaces": WATCHED},
        {"rbac": {"namespaced": True}, "watchNamespaces": WATCHED},
    ):
        docs = render(helm, values)
        assert not [r for rules in _secret_rules(docs).values() for r in rules], values
        for role in of_kind(docs, "ClusterRole") + of_kind(docs, "Role"):
            assert all("secrets" not in rule["resources"] for rule in role["rules"]), values


@pytest.mark.parametrize("namespaced", [False, True])
def test_chart_secret_reads_are_roles_in_the_watched_namespaces(
    helm: Path, namespaced: bool
) -> None:
    values = {"rbac": {"readSecrets": True, "namespaced": namespaced}, "watchNamespaces": WATCHED}
    rules = rules_by_scope(render(helm, values))
    assert SECRET_GET not in granted(rules["*"])
    for namespace in WATCHED:
        assert SECRET_GET in granted(rules[namespace])


def test_chart_secret_reads_are_limited_to_the_listed_names(helm: Path) -> None:
    values = {
        "rbac": {"readSecrets": True, "secretNames": ["rollout-webhook"]},
        "watchNamespaces": WATCHED,
    }
    secret_rules = _secret_rules(render(helm, values))
    assert sorted(scope for scope, rules in secret_rules.items() if rules) == sorted(WATCHED)
    for namespace in WATCHED:
        assert secret_rules[namespace] == [
            {
                "apiGroups": [""],
                "resources": ["secrets"],
                "verbs": ["get"],
                "resourceNames": ["rollout-webhook"],
            }
        ]


def test_chart_secret_namespaces_replace_the_watched_ones(helm: Path) -> None:
    values = {
        "rbac": {"readSecrets": True, "secretNamespaces": ["posters"]},
        "watchNamespaces": WATCHED,
    }
    secret_rules = _secret_rules(render(helm, values))
    assert [scope for scope, rules in secret_rules.items() if rules] == ["posters"]


def test_chart_cluster_wide_secret_reads_need_names(helm: Path) -> None:
    with pytest.raises(HelmError, match=r"rbac\.readSecrets while watching all namespaces needs"):
        render(helm, {"rbac": {"readSecrets": True}})
    named = _secret_rules(
        render(helm, {"rbac": {"readSecrets": True, "secretNames": ["rollout-webhook"]}})
    )
    assert [r["resourceNames"] for r in named["*"]] == [["rollout-webhook"]]


def test_chart_evaluator_defaults_are_the_charts_own_account_and_repository(helm: Path) -> None:
    docs = render(helm)
    args = parser().parse_args(_operator_args(docs))
    assert args.evaluator_service_accounts == ["pixelproof-evaluator"]
    assert args.evaluator_image_prefixes == ["ghcr.io/pixelproof/pixelproof-evaluator"]
    # Empty by default, which allows every address; values.yaml says so and recommends one.
    assert args.allowed_metric_addresses == []
    assert one(docs, "ServiceAccount", "pixelproof-evaluator")


def test_chart_policy_values_reach_the_operator_verbatim(helm: Path) -> None:
    hostile = "http://prometheus.monitoring.svc:9090/$(id)';x"
    values = {
        "metrics": {"allowedAddresses": ["prometheus-operated.monitoring.svc:9090", hostile]},
        "evaluator": {
            "allowedImagePrefixes": ["registry.example/pixelproof-evaluator", "registry.example/"],
            "allowedServiceAccounts": ["pixelproof-evaluator", "gpu-evaluator"],
        },
    }
    docs = render(helm, values)
    args = parser().parse_args(_operator_args(docs))
    assert args.allowed_metric_addresses == ["prometheus-operated.monitoring.svc:9090", hostile]
    assert args.evaluator_image_prefixes == [
        "registry.example/pixelproof-evaluator",
        "registry.example/",
    ]
    assert args.evaluator_service_accounts == ["pixelproof-evaluator", "gpu-evaluator"]
    container = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    # Never inside the shell line: the shell would run what they contain.
    assert "$(id)" not in container["args"][0]


@pytest.mark.parametrize(
    "values",
    [
        {"metrics": {"allowedAddresses": ["http://two words:9090"]}},
        {"metrics": {"allowedAddresses": [""]}},
        {"evaluator": {"allowedServiceAccounts": ["Not_A_Name"]}},
        {"rbac": {"secretNamespaces": ["UPPER"]}},
    ],
    ids=["address-with-space", "empty-address", "bad-account", "bad-namespace"],
)
def test_chart_schema_rejects_malformed_policy_values(helm: Path, values: dict[str, Any]) -> None:
    with pytest.raises(HelmError, match=r"schema|specifications"):
        render(helm, values)
