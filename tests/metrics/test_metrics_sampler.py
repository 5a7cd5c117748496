"""Which gates are due, and sampling them concurrently against real servers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pixelproof.metrics.sampler import Sampler, due_gates, next_due_in, seconds_until_due
from pixelproof_demo.prometheus import PrometheusServer
from pixelproof_testkit.generators import Generator
from pixelproof_testkit.metrics import rollout_spec, wait_for_series

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def stamp(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def spec(gates: list[dict[str, Any]], address: str = "http://127.0.0.1:9") -> dict[str, Any]:
    return rollout_spec(address, "gen-stable", "gen-candidate", gates, interval="30s")


GATES: list[dict[str, Any]] = [
    {"name": "errors", "template": "error-rate"},
    {"name": "fast", "template": "latency-p50", "interval": "5s"},
    {"name": "new", "query": "vector(1)", "max": 2},
]


def test_nothing_is_due_before_traffic_shifts_or_after_the_rollout_ends() -> None:
    assert due_gates(spec(GATES), {}, NOW) == []
    assert due_gates(spec(GATES), {"phase": "Pending", "trafficShifted": False}, NOW) == []
    for phase in ("Succeeded", "RolledBack", "Failed"):
        assert due_gates(spec(GATES), {"phase": phase, "trafficShifted": True}, NOW) == []
    assert next_due_in(spec(GATES), {"phase": "Failed", "trafficShifted": True}, NOW) is None


def test_each_gate_is_due_after_its_own_interval() -> None:
    gates = [
        {"name": "errors", "lastTime": stamp(29.5)},
        {"name": "fast", "lastTime": stamp(5)},
    ]
    status = {"phase": "Paused", "trafficShifted": True, "gates": gates}
    waits = seconds_until_due(spec(GATES), status, NOW)
    assert waits == pytest.approx({"errors": 0.5, "fast": 0.0, "new": 0.0})
    assert due_gates(spec(GATES), status, NOW) == ["fast", "new"]
    gates.append({"name": "new", "lastTime": stamp(1)})
    gates[1]["lastTime"] = stamp(1)
    assert next_due_in(spec(GATES), status, NOW) == pytest.approx(0.5)
    assert due_gates(spec(GATES), status, NOW + timedelta(seconds=0.5)) == ["errors"]


def test_last_time_without_fraction_or_zone_is_read_as_utc() -> None:
    status = {
        "phase": "Progressing",
        "trafficShifted": True,
        "gates": [{"name": "errors", "lastTime": "2025-03-01T11:59:40"}],
    }
    assert seconds_until_due(spec(GATES[:1]), status, NOW) == {"errors": pytest.approx(10.0)}


def test_queries_run_concurrently_within_the_timeout(hung_server: str) -> None:
    gates: list[dict[str, Any]] = [
        {"name": "p50", "template": "latency-p50"},
        {"name": "p95", "template": "latency-p95"},
        {"name": "errors", "template": "error-rate"},
    ]
    body = rollout_spec(hung_server, "gen-stable", "gen-candidate", gates, timeout_seconds=1.0)
    status = {"phase": "Progressing", "trafficShifted": True}
    with Sampler() as sampler:
        started = time.monotonic()
        samples = sampler.sample(body, status, "imagegen", NOW)
        elapsed = time.monotonic() - started
    # Seven queries of 1 s each (two gates run for both models and count the candidate's
    # requests): run one after another they would take 7 s.
    assert elapsed < 2.5
    assert [s.gate for s in samples] == ["p50", "p95", "errors"]
    for sample in samples:
        assert sample.value is None and not sample.rejected
        assert sample.error == f"Prometheus at {hung_server} did not answer within 1s"


def serve(generator: Generator, count: int) -> None:
    for seed in range(count):
        httpx.post(
            f"{generator.url}/generate",
            json={"prompt": "p", "seed": seed, "size": "32x32"},
            timeout=5,
        )


def test_relative_gate_samples_both_models(
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    unique: str,
) -> None:
    stable = generators(f"{unique}-stable")
    candidate = generators(f"{unique}-candidate")
    gates: list[dict[str, Any]] = [
        {
            "name": "images",
            "query": 'sum(generate_images_total{service="{{target.service}}"})',
            "relativeToStable": {"maxRatio": 2},
        },
        {"name": "absolute", "query": 'count(up{service="{{candidate.service}}"})', "max": 1},
    ]
    body = rollout_spec(prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates)
    serve(stable, 3)
    serve(candidate, 1)
    wait_for_series(prometheus, f'generate_images_total{{service="{unique}-stable"}} == 3')
    wait_for_series(prometheus, f'generate_images_total{{service="{unique}-candidate"}} == 1')
    status = {"phase": "Progressing", "trafficShifted": True}
    with Sampler() as sampler:
        images, absolute = sampler.sample(body, status, "imagegen", datetime.now(UTC))
    assert images.value == 1.0 and images.stable_value == 3.0 and images.error is None
    assert images.query == f'sum(generate_images_total{{service="{unique}-candidate"}})'
    assert images.stable_query == f'sum(generate_images_total{{service="{unique}-stable"}})'
    assert absolute.value == 1.0 and absolute.stable_query is None and absolute.stable_value is None


def test_gates_with_min_requests_count_the_candidates_requests(
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    unique: str,
) -> None:
    stable = generators(f"{unique}-stable")
    candidate = generators(f"{unique}-candidate")
    exact = 'sum(generate_requests_total{service="{{target.service}}"})'
    gates: list[dict[str, Any]] = [
        {"name": "p50", "template": "latency-p50"},
        {"name": "own", "template": "latency-p50", "requestsQuery": exact},
        {"name": "uncounted", "template": "error-rate"},
    ]
    body = rollout_spec(prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates)
    # Scraped at zero first, as a generator serving before any traffic shift is.
    for side in ("stable", "candidate"):
        counted = f'generate_request_duration_seconds_count{{service="{unique}-{side}"}}'
        wait_for_series(prometheus, f"{counted} == 0")
    serve(stable, 6)
    serve(candidate, 3)
    wait_for_series(
        prometheus, f'sum(generate_requests_total{{service="{unique}-candidate"}}) == 3'
    )
    wait_for_series(prometheus, f'sum(generate_requests_total{{service="{unique}-stable"}}) == 6')
    status = {"phase": "Progressing", "trafficShifted": True}
    with Sampler() as sampler:
        templated, own, uncounted = sampler.sample(body, status, "imagegen", datetime.now(UTC))
    # increase() extrapolates within its window, so the template's count is near, not exact.
    assert templated.error is None and templated.requests is not None
    assert 0 < templated.requests < 10
    assert own.error is None and own.requests == 3.0
    assert uncounted.requests is None


def test_a_failing_requests_query_is_the_samples_error(prometheus: PrometheusServer) -> None:
    gates: list[dict[str, Any]] = [
        {
            "name": "p50",
            "template": "latency-p50",
            "requestsQuery": 'label_replace(vector(1), "s", "a", "", "") or vector(2)',
        }
    ]
    body = rollout_spec(prometheus.url, "gen-stable", "gen-candidate", gates)
    status = {"phase": "Progressing", "trafficShifted": True}
    with Sampler() as sampler:
        (sample,) = sampler.sample(body, status, "ns", NOW)
    assert sample.error is not None
    assert sample.error.startswith("requests query: the query returns 2 series")


def test_stable_side_errors_are_reported_as_such(prometheus: PrometheusServer) -> None:
    # One series for the candidate; for the stable, its own and the candidate's.
    query = (
        'label_replace(vector(1), "s", "{{target.service}}", "", "")'
        ' or label_replace(vector(2), "s", "{{candidate.service}}", "", "")'
    )
    gates: list[dict[str, Any]] = [
        {"name": "odd", "query": query, "relativeToStable": {"maxRatio": 2}}
    ]
    body = rollout_spec(prometheus.url, "gen-stable", "gen-candidate", gates)
    status = {"phase": "Progressing", "trafficShifted": True}
    with Sampler() as sampler:
        (sample,) = sampler.sample(body, status, "ns", NOW)
    assert sample.value == 1.0 and sample.stable_value is None and not sample.rejected
    assert sample.error is not None
    assert sample.error.startswith("stable side: the query returns 2 series")


def test_template_errors_are_rejections_that_never_reach_prometheus() -> None:
    body = rollout_spec(
        "http://127.0.0.1:9",
        "gen-stable",
        "gen-candidate",
        [{"name": "bad", "query": "x{{{nope}}}", "max": 1}],
    )
    status = {"phase": "Progressing", "trafficShifted": True}
    with Sampler() as sampler:
        (sample,) = sampler.sample(body, status, "ns", NOW)
    assert sample.rejected and sample.value is None
    assert sample.error is not None and "'bad'" in sample.error and "{{nope}}" in sample.error


def test_a_candidates_first_errors_count_in_the_error_rate(
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    unique: str,
) -> None:
    """rate() counts nothing up to a series' first sample. A generator exports its status
    codes at zero from its start, so the 5xx series has a sample before the first error
    and the first errors count; a series born with its first error would hide every error
    before its first scrape (15 s of them at a common scrape interval)."""
    candidate = generators(f"{unique}-candidate", faults={"error_rate": 1.0})
    generators(f"{unique}-stable")
    errors = f'generate_requests_total{{service="{unique}-candidate",code="502"}}'
    wait_for_series(prometheus, f"{errors} == 0")
    serve(candidate, 4)
    wait_for_series(prometheus, f"{errors} == 4")
    gates = [{"name": "errors", "template": "error-rate"}]
    body = rollout_spec(prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates)
    status = {"phase": "Progressing", "trafficShifted": True}
    with Sampler() as sampler:
        [sample] = sampler.sample(body, status, "imagegen", datetime.now(UTC))
    assert sample.error is None and sample.value == 1.0, sample
