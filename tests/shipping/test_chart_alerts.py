"""The chart's PrometheusRule and Grafana dashboard: the metrics they use exist, and the
alerts fire when they should, judged by the real promtool against synthetic series."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixelproof import telemetry
from pixelproof_testkit.charts import CHART, one, render

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed"
)
RULE_VALUES = {"prometheusRule": {"enabled": True}}
METRIC_NAME = re.compile(r"\b(pixelproof_[a-z0-9_]+)\b")


def exported_series() -> set[str]:
    """Series names the operator's registry exposes, as Prometheus stores them."""
    names: set[str] = set()
    for family in telemetry.REGISTRY.collect():
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {f"{family.name}_bucket", f"{family.name}_sum", f"{family.name}_count"}
        else:
            names.add(family.name)
    return names


def rule_groups(helm: Path) -> dict[str, Any]:
    return {"groups": one(render(helm, RULE_VALUES), "PrometheusRule")["spec"]["groups"]}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((CHART / "dashboards" / "pixelproof.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    exprs += [
        v["query"]["query"] for v in dashboard["templating"]["list"] if v.get("type") == "query"
    ]
    return exprs


def test_alerts_use_only_metrics_the_operator_exports(helm: Path) -> None:
    used = {
        name
        for group in rule_groups(helm)["groups"]
        for rule in group["rules"]
        for name in METRIC_NAME.findall(rule["expr"])
    }
    assert used, "the rules should be about pixelproof metrics"
    missing = used - exported_series()
    assert not missing, (
        f"alerts use metrics pixelproof.telemetry does not export: {sorted(missing)}"
    )


def test_dashboard_uses_only_metrics_the_operator_exports() -> None:
    used = {name for expr in dashboard_expressions() for name in METRIC_NAME.findall(expr)}
    assert len(used) >= 8
    missing = used - exported_series()
    assert not missing, (
        f"the dashboard uses metrics pixelproof.telemetry does not export: {sorted(missing)}"
    )


def test_dashboard_is_importable_grafana_json() -> None:
    dashboard = json.loads((CHART / "dashboards" / "pixelproof.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "namespace", "rollout"} <= variables
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"], panel["title"]


def _promtool(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )


@needs_promtool
def test_rules_pass_promtool_check(helm: Path, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(helm)))
    done = _promtool(tmp_path, "check", "rules", "rules.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


ROLLOUT = 'namespace="imagegen",name="poster-gen"'
OTHER = 'namespace="imagegen",name="banner-gen"'
# An expected alert given as a rollout name (or None for alerts without rollout labels)
# is expanded from the rendered rule: its severity and its annotations for that rollout.
ALERT_TESTS: dict[str, Any] = {
    "rule_files": ["rules.yaml"],
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                {
                    "series": f'pixelproof_rollout_phase{{{ROLLOUT},phase="RolledBack"}}',
                    "values": "0 0 1 1 1",
                },
                {
                    "series": f'pixelproof_rollout_phase{{{ROLLOUT},phase="Progressing"}}',
                    "values": "1 1 0 0 0",
                },
                {
                    "series": f'pixelproof_rollout_phase{{{OTHER},phase="Progressing"}}',
                    "values": "1x20",
                },
                {
                    "series": f'pixelproof_rollout_phase{{{OTHER},phase="RolledBack"}}',
                    "values": "0x20",
                },
                {"series": 'up{job="pixelproof-metrics"}', "values": "1x20"},
            ],
            "alert_rule_test": [
                {"eval_time": "1m", "alertname": "PixelproofRolloutRolledBack", "exp_alerts": []},
                {
                    "eval_time": "3m",
                    "alertname": "PixelproofRolloutRolledBack",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "warning",
                                "namespace": "imagegen",
                                "name": "poster-gen",
                            },
                            "exp_annotations": {
                                "summary": "ModelRollout imagegen/poster-gen rolled back to the stable model",
                                "description": "All traffic is back on stable. See why: "
                                "kubectl pixelproof status poster-gen -n imagegen",
                            },
                        }
                    ],
                },
                {"eval_time": "10m", "alertname": "PixelproofOperatorDown", "exp_alerts": []},
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                {
                    "series": f'pixelproof_rollout_condition{{{ROLLOUT},type="Stalled",status="True"}}',
                    "values": "1x20",
                },
                {
                    "series": f'pixelproof_rollout_phase{{{ROLLOUT},phase="Progressing"}}',
                    "values": "1x20",
                },
                {
                    "series": f'pixelproof_rollout_condition{{{OTHER},type="Stalled",status="True"}}',
                    "values": "1x20",
                },
                {
                    "series": f'pixelproof_rollout_phase{{{OTHER},phase="RolledBack"}}',
                    "values": "1x20",
                },
                {
                    "series": f'pixelproof_reconcile_errors_total{{{ROLLOUT},error="ApiError"}}',
                    "values": "0+1x40",
                },
                {
                    "series": 'pixelproof_watch_state{resource="jobs",namespace="*",state="forbidden"}',
                    "values": "1x20",
                },
                {
                    "series": 'pixelproof_watch_state{resource="virtualservices",namespace="*",state="unserved"}',
                    "values": "1x20",
                },
                {
                    "series": 'pixelproof_watch_state{resource="deployments",namespace="*",state="failing"}',
                    "values": "0 0 1 1 1 0 0 0 0 0 0 0 0 0 0 0",
                },
            ],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "PixelproofRolloutStalled", "exp_alerts": []},
                {
                    "eval_time": "12m",
                    "alertname": "PixelproofRolloutStalled",
                    "exp_alerts": ["poster-gen"],
                },
                {
                    "eval_time": "12m",
                    "alertname": "PixelproofRolloutRolledBack",
                    "exp_alerts": ["banner-gen"],
                },
                {
                    "eval_time": "31m",
                    "alertname": "PixelproofReconcileErrors",
                    "exp_alerts": ["poster-gen"],
                },
                # A forbidden kind for ten minutes fires; a failing stream that recovered
                # in three and a kind not served never do.
                {"eval_time": "9m", "alertname": "PixelproofWatchFailing", "exp_alerts": []},
                {
                    "eval_time": "12m",
                    "alertname": "PixelproofWatchFailing",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "warning",
                                "resource": "jobs",
                                "namespace": "*",
                                "state": "forbidden",
                            },
                            "exp_annotations": {
                                "summary": "The pixelproof operator cannot watch jobs in * "
                                "(forbidden)",
                                "description": "Forbidden: grant the operator list and watch "
                                "on that kind (the chart's RBAC does). Failing: the API server "
                                "refuses or drops its watch streams; see the operator's log.",
                            },
                        }
                    ],
                },
                {
                    "eval_time": "6m",
                    "alertname": "PixelproofOperatorDown",
                    "exp_alerts": [None],
                },
            ],
        },
    ],
}


def expand(tests: dict[str, Any], groups: dict[str, Any]) -> dict[str, Any]:
    rules = {r["alert"]: r for g in groups["groups"] for r in g["rules"] if "alert" in r}
    expanded = copy.deepcopy(tests)
    for case in expanded["tests"]:
        for check in case["alert_rule_test"]:
            rule = rules[check["alertname"]]
            alerts = []
            for alert in check["exp_alerts"]:
                if isinstance(alert, dict):
                    alerts.append(alert)
                    continue
                labels = {"severity": rule["labels"]["severity"]}
                if alert is not None:
                    labels |= {"namespace": "imagegen", "name": alert}
                annotations = {
                    key: text.replace("{{ $labels.namespace }}", "imagegen").replace(
                        "{{ $labels.name }}", alert or ""
                    )
                    for key, text in rule["annotations"].items()
                }
                alerts.append({"exp_labels": labels, "exp_annotations": annotations})
            check["exp_alerts"] = alerts
    return expanded


@needs_promtool
def test_alerts_fire_when_and_only_when_they_should(helm: Path, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_groups(helm)))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(expand(ALERT_TESTS, rule_groups(helm))))
    done = _promtool(tmp_path, "test", "rules", "tests.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
