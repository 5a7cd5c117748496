"""The operator's own metrics, scraped over HTTP by the real Prometheus."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pixelproof import telemetry
from pixelproof.api.metrics import MetricGate
from pixelproof.api.status import GateStatus
from pixelproof.engine.actions import Action, EmitEvent, RecordGate
from pixelproof.metrics.prometheus import PrometheusMetrics
from pixelproof_demo.ports import free_port
from pixelproof_demo.prometheus import PrometheusServer
from pixelproof_testkit.metrics import wait_for_series


@pytest.fixture
def metrics_url() -> Iterator[str]:
    port = free_port()
    server = telemetry.start_metrics_server(port, addr="127.0.0.1")
    yield f"127.0.0.1:{port}"
    server.shutdown()


def scrape(address: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"http://{address}/metrics", timeout=5).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], metric: str, /, **labels: str) -> float | None:
    return samples.get((metric, frozenset(labels.items())))


def test_a_decision_shows_up_on_the_metrics_endpoint(metrics_url: str, unique: str) -> None:
    gates = {
        "latency": MetricGate(name="latency", template="latency-p50"),
        "errors": MetricGate(name="errors", template="error-rate", min=0, max=0.02),
    }
    latency = GateStatus(
        name="latency",
        value=0.5,
        stable_value=0.4,
        stable_query="q",
        verdict="Fail",
        threshold="<= 1.1 x stable",
    )
    errors = GateStatus(name="errors", value=None, verdict="Inconclusive")
    previous = {"phase": "Paused", "currentStep": 1}
    status = {
        "phase": "RolledBack",
        "rollbackCause": "GateFailed",
        "currentStep": 1,
        "weights": {"stable": 100, "candidate": 0},
        "verifiedWeights": {"stable": 90, "candidate": 10},
        "gates": [latency.to_wire(), errors.to_wire()],
        "lastEvaluation": {
            "step": 0,
            "job": "poster-gen-eval-1",
            "state": "Pass",
            "startedAt": "2025-03-01T12:00:00Z",
            "finishedAt": "2025-03-01T12:04:10.500000Z",
        },
    }
    actions: list[Action] = [
        RecordGate(latency),
        RecordGate(errors),
        EmitEvent("Warning", "GateFailed", "metric gate latency failed"),
    ]
    telemetry.observe_decision("imagegen", unique, gates, previous, status, actions)
    telemetry.observe_decision("imagegen", unique, gates, status, status, [])  # no double counting
    telemetry.observe_reconcile_error("imagegen", unique, TimeoutError("apiserver"))
    reconciles_before = telemetry.REGISTRY.get_sample_value("pixelproof_reconcile_seconds_count")
    telemetry.observe_reconcile(0.03)
    got = scrape(metrics_url)
    rollout = {"namespace": "imagegen", "name": unique}
    assert value(got, "pixelproof_rollout_phase", **rollout, phase="RolledBack") == 1.0
    assert value(got, "pixelproof_rollout_phase", **rollout, phase="Paused") == 0.0
    assert (
        value(
            got, "pixelproof_rollout_weight_percent", **rollout, backend="candidate", kind="desired"
        )
        == 0
    )
    assert (
        value(
            got,
            "pixelproof_rollout_weight_percent",
            **rollout,
            backend="candidate",
            kind="verified",
        )
        == 10
    )
    assert value(got, "pixelproof_gate_value", **rollout, gate="latency") == 0.5
    assert value(got, "pixelproof_gate_stable_value", **rollout, gate="latency") == 0.4
    upper = value(got, "pixelproof_gate_threshold", **rollout, gate="latency", bound="upper")
    assert upper == pytest.approx(0.44)
    assert value(got, "pixelproof_gate_threshold", **rollout, gate="errors", bound="lower") == 0
    assert value(got, "pixelproof_gate_threshold", **rollout, gate="errors", bound="upper") == 0.02
    errors_value = value(got, "pixelproof_gate_value", **rollout, gate="errors")
    assert errors_value is not None and errors_value != errors_value  # NaN: no data
    assert value(got, "pixelproof_gate_verdict", **rollout, gate="latency", verdict="Fail") == 1
    assert value(got, "pixelproof_gate_verdict", **rollout, gate="latency", verdict="Pass") == 0
    assert (
        value(got, "pixelproof_gate_evaluations_total", **rollout, gate="latency", verdict="Fail")
        == 1
    )
    assert value(got, "pixelproof_rollbacks_total", **rollout, reason="GateFailed") == 1
    assert value(got, "pixelproof_evaluations_total", **rollout, verdict="Pass") == 1
    assert value(got, "pixelproof_evaluation_duration_seconds_sum", **rollout) == 250.5
    assert value(got, "pixelproof_evaluation_duration_seconds_bucket", **rollout, le="300.0") == 1
    assert value(got, "pixelproof_reconcile_errors_total", **rollout, error="TimeoutError") == 1
    # The registry is the process's own: an operator running in the same test session may add
    # reconciles of its own meanwhile.
    assert value(got, "pixelproof_reconcile_seconds_count") >= (reconciles_before or 0) + 1

    telemetry.forget("imagegen", unique)
    assert not [key for key in scrape(metrics_url) if ("name", unique) in key[1]]


def test_prometheus_scrapes_the_operator_metrics(
    metrics_url: str, prometheus: PrometheusServer, unique: str
) -> None:
    gate = GateStatus(name="errors", value=0.125, verdict="Fail")
    definition = MetricGate(name="errors", template="error-rate")
    telemetry.observe_gate("imagegen", unique, gate, definition)
    prometheus.add_target(metrics_url, {"job_role": "operator"})
    try:
        query = f'pixelproof_gate_value{{name="{unique}",gate="errors"}}'
        wait_for_series(prometheus, query)
        assert PrometheusMetrics(prometheus.url).query(query).value == 0.125
        bound = f'pixelproof_gate_threshold{{name="{unique}",bound="upper"}}'
        assert PrometheusMetrics(prometheus.url).query(bound).value == 0.02
    finally:
        prometheus.remove_target(metrics_url)
        telemetry.forget("imagegen", unique)


def test_a_watch_shows_its_one_current_state(metrics_url: str, unique: str) -> None:
    telemetry.observe_watch_state(unique, None, "failing")
    telemetry.observe_watch_state(unique, None, "synced")
    telemetry.observe_watch_state(unique, "imagegen", "forbidden")
    got = scrape(metrics_url)
    everywhere = {"resource": unique, "namespace": "*"}
    assert value(got, "pixelproof_watch_state", **everywhere, state="synced") == 1
    assert value(got, "pixelproof_watch_state", **everywhere, state="failing") == 0
    assert value(got, "pixelproof_watch_state", **everywhere, state="listing") == 0
    there = {"resource": unique, "namespace": "imagegen"}
    assert value(got, "pixelproof_watch_state", **there, state="forbidden") == 1
