"""The Prometheus provider against a real Prometheus: values, no data, errors in its own words."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.metrics.catalog import TEMPLATES
from pixelproof.metrics.prometheus import PrometheusMetrics
from pixelproof.metrics.templating import render, render_gate
from pixelproof_demo.ports import free_port
from pixelproof_demo.prometheus import PrometheusServer
from pixelproof_testkit.generators import Generator
from pixelproof_testkit.metrics import wait_for_series


@pytest.fixture
def provider(prometheus: PrometheusServer) -> Iterator[PrometheusMetrics]:
    client = PrometheusMetrics(prometheus.url, timeout_seconds=5)
    yield client
    client.close()


def test_scalar_and_single_series_are_values(provider: PrometheusMetrics) -> None:
    assert provider.query("0.25").value == 0.25
    assert provider.query("vector(3)").value == 3.0
    assert provider.query("sum(vector(1) * 2)").value == 2.0


def test_empty_nan_and_infinite_results_are_no_data(provider: PrometheusMetrics) -> None:
    for query in ("vector(1) > 2", "NaN", "1/0", "vector(-1/0)", "pixelproof_no_such_metric"):
        result = provider.query(query)
        assert result.no_data, (query, result)


def test_several_series_are_an_error_naming_them(provider: PrometheusMetrics) -> None:
    query = 'label_replace(vector(1), "pod", "a", "", "") or label_replace(vector(2), "pod", "b", "", "")'
    result = provider.query(query)
    assert result.value is None and not result.rejected
    assert result.error is not None
    assert "2 series" in result.error and '{pod="a"}' in result.error and "sum(" in result.error


def test_unparsable_query_is_rejected_with_prometheus_own_message(
    provider: PrometheusMetrics,
) -> None:
    result = provider.query("sum(rate(generate_requests_total[1m])")
    assert result.rejected
    assert result.error is not None
    assert "HTTP 400" in result.error
    assert "bad_data" in result.error
    assert "parse error: unclosed left parenthesis" in result.error


def test_range_vector_is_rejected(
    provider: PrometheusMetrics,
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    unique: str,
) -> None:
    generators(f"{unique}-svc")
    selector = f'generate_images_total{{service="{unique}-svc"}}'
    wait_for_series(prometheus, selector)
    result = provider.query(f"{selector}[1m]")
    assert result.rejected and result.error is not None and "range vector" in result.error


def test_unreachable_prometheus_is_an_error_not_a_rejection() -> None:
    address = f"http://127.0.0.1:{free_port()}"
    result = PrometheusMetrics(address, timeout_seconds=2).query("vector(1)")
    assert not result.rejected and result.value is None
    assert result.error is not None
    assert f"cannot reach Prometheus at {address}" in result.error
    assert "Connection refused" in result.error


def test_a_hung_prometheus_times_out(hung_server: str) -> None:
    started = time.monotonic()
    result = PrometheusMetrics(hung_server, timeout_seconds=0.5).query("vector(1)")
    elapsed = time.monotonic() - started
    assert result.error == f"Prometheus at {hung_server} did not answer within 0.5s"
    assert elapsed < 3


def test_escaped_values_match_exactly_in_real_label_matchers(
    provider: PrometheusMetrics,
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    unique: str,
) -> None:
    """A quote and a backslash in a label value, and a dot in a Deployment name used in a
    regex, match only the intended series once rendered."""
    weird = f'{unique}-we"ird\\svc'
    generators(weird)
    target = generators(f"{unique}-pods")
    decoy = generators(f"{unique}-pods")
    prometheus.add_target(
        target.address,
        {"namespace": "imagegen", "service": f"{unique}-pods", "pod": "poster-gen.v2-5f6d7c-x8k2p"},
    )
    prometheus.add_target(
        decoy.address,
        {"namespace": "imagegen", "service": f"{unique}-pods", "pod": "poster-genxv2-5f6d7c-q7w3e"},
    )
    variables: dict[str, str | None] = {
        "target.service": weird,
        "target.deployment": "poster-gen.v2",
    }
    by_service = render('count(up{service="{{target.service}}"})', variables)
    assert wait_for_series(prometheus, by_service)
    assert provider.query(by_service).value == 1.0
    by_pod = render('count(up{pod=~"{{target.deployment|regex}}-[a-z0-9]+-[a-z0-9]+"})', variables)
    unescaped = 'count(up{pod=~"poster-gen.v2-[a-z0-9]+-[a-z0-9]+"})'
    wait_for_series(prometheus, f"{unescaped} == 2")  # both relabelled targets scraped
    assert provider.query(by_pod).value == 1.0
    assert provider.query(unescaped).value == 2.0  # what escaping prevents


def test_every_builtin_template_is_valid_promql(provider: PrometheusMetrics) -> None:
    spec: Any = ModelRolloutSpec.model_validate(
        {
            "stable": {"deployment": "poster-gen.v1", "service": "poster-gen-stable"},
            "candidate": {"deployment": "poster-gen.v2", "service": "poster-gen-candidate"},
            "traffic": {"gatewayAPI": {"httpRoute": "poster-gen"}},
            "steps": [{"setWeight": 10}],
            "metrics": {
                "prometheus": {"address": "http://prometheus:9090"},
                "pricePerGpuHour": 3.0,
                "gates": [{"name": name, "template": name} for name in TEMPLATES],
            },
        }
    )
    for gate in spec.metrics.gates:
        for query in render_gate(gate, spec, "imagegen"):
            if query is not None:
                result = provider.query(query)
                assert result.error is None, (gate.name, result.error)
