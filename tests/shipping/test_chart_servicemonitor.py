"""The rendered ServiceMonitor, scraped for real: its endpoint is turned into the scrape
config prometheus-operator would generate, the real Prometheus scrapes the operator's real
metrics endpoint with it, and the real promtool fires the chart's alerts on what Prometheus
stored. The rollout's namespace must survive the scrape, and reach the alert text."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixelproof import telemetry
from pixelproof_demo.ports import free_port
from pixelproof_demo.prometheus import PrometheusMissing, PrometheusServer, find_prometheus
from pixelproof_testkit.charts import NAMESPACE, one, render
from pixelproof_testkit.metrics import wait_for_series

PROMTOOL = shutil.which("promtool")
try:
    find_prometheus()
    HAVE_PROMETHEUS = PROMTOOL is not None
except PrometheusMissing:
    HAVE_PROMETHEUS = False
pytestmark = pytest.mark.skipif(
    not HAVE_PROMETHEUS, reason="prometheus and promtool (Debian package prometheus) are needed"
)

ROLLOUT = ("imagegen", "poster-gen")
SERVICE = "pixelproof-metrics"
# Each scrape job gets a pod name of its own so its series can be told apart.
HONORED_POD, CONTROL_POD = "pixelproof-7d9f-a", "pixelproof-7d9f-b"
SCRAPE_VALUES = {"interval": "1s", "scrapeTimeout": "1s"}
# The first samples of a 1s scrape arrive some seconds after Prometheus starts.
SCRAPE_TIMEOUT = 60.0


def snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def relabel_configs(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {snake(k): v.lower() if k == "action" else v for k, v in entry.items()} for entry in entries
    ]


def scrape_config(monitor: dict[str, Any], address: str, pod: str) -> dict[str, Any]:
    """The scrape job prometheus-operator writes for the ServiceMonitor's first endpoint,
    with the target Kubernetes service discovery would find given as static meta labels."""
    endpoint = monitor["spec"]["endpoints"][0]
    meta = monitor["metadata"]
    discovered = {
        "__meta_kubernetes_namespace": meta["namespace"],
        "__meta_kubernetes_service_name": SERVICE,
        "__meta_kubernetes_pod_name": pod,
        "__meta_kubernetes_pod_container_name": "operator",
        "__meta_kubernetes_endpoint_port_name": endpoint["port"],
    }
    target_labels = [
        ("__meta_kubernetes_namespace", "namespace"),
        ("__meta_kubernetes_service_name", "service"),
        ("__meta_kubernetes_pod_name", "pod"),
        ("__meta_kubernetes_pod_container_name", "container"),
        ("__meta_kubernetes_service_name", "job"),
    ]
    relabelings = [{"source_labels": [s], "target_label": t} for s, t in target_labels]
    relabelings.append({"target_label": "endpoint", "replacement": endpoint["port"]})
    config: dict[str, Any] = {
        "job_name": f"serviceMonitor/{meta['namespace']}/{meta['name']}/{pod}",
        "honor_labels": endpoint.get("honorLabels", False),
        "scrape_interval": endpoint["interval"],
        "scrape_timeout": endpoint["scrapeTimeout"],
        "metrics_path": endpoint["path"],
        "scheme": endpoint.get("scheme", "http"),
        "static_configs": [{"targets": [address], "labels": discovered}],
        "relabel_configs": relabelings + relabel_configs(endpoint.get("relabelings", [])),
        "metric_relabel_configs": relabel_configs(endpoint.get("metricRelabelings", [])),
    }
    if "tlsConfig" in endpoint:
        config["tls_config"] = {snake(k): v for k, v in endpoint["tlsConfig"].items()}
    return config


def service_monitor(helm: Path, **overrides: Any) -> dict[str, Any]:
    values = {"serviceMonitor": {"enabled": True, **SCRAPE_VALUES, **overrides}}
    return one(render(helm, values), "ServiceMonitor")


@pytest.fixture(scope="module")
def operator_metrics() -> Iterator[str]:
    """The operator's own /metrics endpoint, reporting one rolled-back rollout."""
    # The registry is the process's: rollouts earlier tests reported would be scraped too.
    for metric in telemetry.REGISTRY.collect():
        for sample in metric.samples:
            if {"namespace", "name"} <= sample.labels.keys():
                telemetry.forget(sample.labels["namespace"], sample.labels["name"])
    status = {
        "phase": "RolledBack",
        "conditions": [{"type": "Stalled", "status": "True", "reason": "RolledBack"}],
    }
    telemetry.observe_status(*ROLLOUT, status)
    port = free_port()
    server = telemetry.start_metrics_server(port, addr="127.0.0.1")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.shutdown()
        telemetry.forget(*ROLLOUT)


def scrape(jobs: list[dict[str, Any]], queries: list[str]) -> list[list[dict[str, Any]]]:
    """Run Prometheus with these jobs until every query has a result; the results."""
    with tempfile.TemporaryDirectory(prefix="pixelproof-servicemonitor-") as workdir:
        prometheus = PrometheusServer(Path(workdir))
        # The server writes its own scrape config; this one replaces it before the start.
        config = {"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}
        (Path(workdir) / "prometheus.yml").write_text(yaml.safe_dump(config))
        with prometheus:
            return [wait_for_series(prometheus, query, SCRAPE_TIMEOUT) for query in queries]


def rolled_back_query(pod: str) -> str:
    return f'pixelproof_rollout_phase{{phase="RolledBack", pod="{pod}"}} == 1'


@pytest.fixture(scope="module")
def scraped(helm: Path, operator_metrics: str) -> dict[str, list[dict[str, Any]]]:
    """Stored series of the chart's default ServiceMonitor and of one with honorLabels off."""
    relabeled = service_monitor(
        helm,
        relabelings=[{"targetLabel": "cluster", "replacement": "east"}],
        metricRelabelings=[
            {"sourceLabels": ["name"], "targetLabel": "rollout", "action": "Replace"}
        ],
    )
    honored = scrape_config(relabeled, operator_metrics, HONORED_POD)
    control = scrape_config(service_monitor(helm, honorLabels=False), operator_metrics, CONTROL_POD)
    rolled_back, control_rolled_back, up = scrape(
        [honored, control],
        [
            rolled_back_query(HONORED_POD),
            rolled_back_query(CONTROL_POD),
            f'up{{job="{SERVICE}", pod="{HONORED_POD}"}} == 1',
        ],
    )
    return {"honored": rolled_back, "control": control_rolled_back, "up": up}


def test_service_monitor_honors_labels_by_default(helm: Path) -> None:
    endpoint = one(render(helm, {"serviceMonitor": {"enabled": True}}), "ServiceMonitor")
    assert endpoint["spec"]["endpoints"][0]["honorLabels"] is True


def test_scraped_series_keep_the_rollouts_namespace(
    scraped: dict[str, list[dict[str, Any]]],
) -> None:
    (series,) = scraped["honored"]
    labels = series["metric"]
    assert (labels["namespace"], labels["name"]) == ROLLOUT
    assert "exported_namespace" not in labels
    assert (labels["cluster"], labels["rollout"]) == ("east", ROLLOUT[1])
    assert (labels["job"], labels["service"], labels["endpoint"]) == (SERVICE, SERVICE, "metrics")
    # Without honorLabels the target's namespace wins: the difference this test rests on.
    (control,) = scraped["control"]
    assert control["metric"]["namespace"] == NAMESPACE
    assert control["metric"]["exported_namespace"] == ROLLOUT[0]


def alert_test(series: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """A promtool test: the stored series as input, the alert for the rollout as expected."""
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(series["metric"].items()) if k != "__name__")
    rule = next(
        r
        for g in rules["groups"]
        for r in g["rules"]
        if r.get("alert") == "PixelproofRolloutRolledBack"
    )
    namespace, name = ROLLOUT
    return {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"pixelproof_rollout_phase{{{labels}}}", "values": "1x5"}
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "2m",
                        "alertname": rule["alert"],
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": rule["labels"]["severity"],
                                    "namespace": namespace,
                                    "name": name,
                                },
                                "exp_annotations": {
                                    "summary": f"ModelRollout {namespace}/{name} rolled back "
                                    "to the stable model",
                                    "description": "All traffic is back on stable. See why: "
                                    f"kubectl pixelproof status {name} -n {namespace}",
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }


def promtool_test(tmp_path: Path, rules: dict[str, Any], tests: dict[str, Any]) -> int:
    assert PROMTOOL is not None
    tmp_path.mkdir()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    done = subprocess.run(
        [PROMTOOL, "test", "rules", "tests.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    return done.returncode


def test_alerts_on_scraped_series_name_the_rollouts_namespace(
    helm: Path, tmp_path: Path, scraped: dict[str, list[dict[str, Any]]]
) -> None:
    rules = {
        "groups": one(render(helm, {"prometheusRule": {"enabled": True}}), "PrometheusRule")[
            "spec"
        ]["groups"]
    }
    assert scraped["up"], "PixelproofOperatorDown's job label must match the scraped job"
    assert promtool_test(tmp_path / "honored", rules, alert_test(scraped["honored"][0], rules)) == 0
    assert promtool_test(tmp_path / "control", rules, alert_test(scraped["control"][0], rules)) != 0
