"""The metric provider address is a request the operator makes on a rollout author's behalf:
what an endpoint that is not Prometheus answers never reaches the rollout's status, and
the operator's allow-list decides which addresses a rollout may name at all."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pixelproof.controller.policy import RolloutPolicy
from pixelproof.engine import parse_spec
from pixelproof.metrics.addresses import AddressAllowList
from pixelproof.metrics.prometheus import PrometheusMetrics
from pixelproof.metrics.sampler import Sampler
from pixelproof_demo.prometheus import PrometheusServer
from pixelproof_testkit.generators import Generator
from pixelproof_testkit.metrics import RolloutLoop, WeightHolder, rollout_spec, wait_for_series

SECRET = "sk-internal-0f3c9a7e-token"
Reply = tuple[int, str, str, dict[str, str]]


class Endpoint:
    """A real HTTP server answering every GET with one scripted reply, counting requests."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.requests.append(self.path)
                status, content_type, body, headers = endpoint.reply
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def endpoint() -> Iterator[Callable[[Reply], Endpoint]]:
    started: list[Endpoint] = []

    def start(reply: Reply) -> Endpoint:
        started.append(Endpoint(reply))
        return started[-1]

    yield start
    for server in started:
        server.close()


def _query(url: str) -> str:
    provider = PrometheusMetrics(url, timeout_seconds=5)
    try:
        result = provider.query("up")
    finally:
        provider.close()
    assert result.error is not None and result.value is None
    return result.error


@pytest.mark.parametrize(
    "reply",
    [
        (403, "text/plain", f"forbidden for bearer {SECRET}", {}),
        (403, "application/json", json.dumps({"message": "denied", "token": SECRET}), {}),
        (500, "text/html", f"<html><pre>panic: {SECRET}</pre></html>", {}),
        (401, "application/json", json.dumps({"status": "error", "detail": SECRET}), {}),
    ],
    ids=["403-text", "403-json-not-prometheus", "500-html", "401-json-lookalike"],
)
def test_a_foreign_error_body_is_never_echoed(
    endpoint: Callable[[Reply], Endpoint], reply: Reply
) -> None:
    server = endpoint(reply)
    error = _query(server.url)
    status = reply[0]
    assert SECRET not in error
    assert f"HTTP {status}" in error
    assert "its body is not shown" in error
    assert server.requests and server.requests[0].startswith("/api/v1/query")


def test_a_foreign_200_body_is_never_echoed(endpoint: Callable[[Reply], Endpoint]) -> None:
    server = endpoint((200, "text/html", f"<html>internal console, key {SECRET}</html>", {}))
    error = _query(server.url)
    assert SECRET not in error
    assert "not a Prometheus query API reply" in error


def test_prometheus_style_error_is_still_quoted(endpoint: Callable[[Reply], Endpoint]) -> None:
    body = {"status": "error", "errorType": "timeout", "error": "query timed out in expression"}
    server = endpoint((503, "application/json", json.dumps(body), {}))
    error = _query(server.url)
    assert "HTTP 503" in error and "timeout: query timed out in expression" in error


def test_a_redirect_is_not_followed(endpoint: Callable[[Reply], Endpoint]) -> None:
    inner = endpoint((200, "application/json", json.dumps({"secret": SECRET}), {}))
    outer = endpoint((302, "text/plain", "", {"Location": f"{inner.url}/api/v1/query?query=up"}))
    error = _query(outer.url)
    assert "redirect" in error and SECRET not in error
    assert inner.requests == []


def test_the_rollout_status_never_holds_the_body(
    endpoint: Callable[[Reply], Endpoint], sampler: Sampler
) -> None:
    server = endpoint((403, "text/plain", f"forbidden for bearer {SECRET}", {}))
    gates = [{"name": "errors", "query": "vector(0)", "max": 1, "maxConsecutiveErrors": 1}]
    spec = rollout_spec(server.url, "poster-stable", "poster-candidate", gates)
    loop = RolloutLoop(spec, sampler, WeightHolder())
    loop.run_until(lambda r: r.finished, timeout=30, what="the gate to fail")
    gate = loop.gate("errors")
    assert "HTTP 403" in gate["message"]
    assert SECRET not in json.dumps(loop.status)


@pytest.mark.parametrize(
    "entry",
    ["{url}", "{url}/", "{hostport}"],
    ids=["url", "url-slash", "host-port"],
)
def test_an_allowed_real_prometheus_is_queried(
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    sampler: Sampler,
    unique: str,
    entry: str,
) -> None:
    hostport = prometheus.url.split("://", 1)[1]
    allowed = AddressAllowList([entry.format(url=prometheus.url, hostport=hostport)])
    generators(f"{unique}-stable")
    wait_for_series(prometheus, f'up{{service="{unique}-stable"}}')
    gates = [
        {"name": "up", "query": f'sum(up{{service="{unique}-stable"}})', "min": 1},
    ]
    spec = rollout_spec(prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates)
    parsed = parse_spec(spec)
    assert RolloutPolicy(metric_addresses=allowed).screen(parsed) is parsed
    assert parsed.model is not None
    [sample] = sampler.sample_gates(list(parsed.model.metrics.gates), parsed.model, "imagegen")
    assert sample.error is None and sample.value == 1.0


def test_a_disallowed_address_is_refused_naming_the_field(prometheus: PrometheusServer) -> None:
    gates = [{"name": "up", "query": "vector(1)", "min": 1}]
    spec = rollout_spec("http://10.0.0.7:8080", "s", "c", gates)
    screened = RolloutPolicy(metric_addresses=AddressAllowList([prometheus.url])).screen(
        parse_spec(spec)
    )
    assert screened.model is None and screened.problem is not None
    assert "spec.metrics.prometheus.address: 'http://10.0.0.7:8080' is not allowed" in (
        screened.problem
    )
    assert prometheus.url in screened.problem


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("http://prometheus.monitoring.svc:9090", True),
        ("http://prometheus.monitoring.svc:9090/", True),
        ("http://PROMETHEUS.monitoring.svc:9090", True),
        ("https://prometheus.monitoring.svc:9090", False),
        ("http://prometheus.monitoring.svc:9091", False),
        ("http://prometheus.monitoring.svc.evil:9090", False),
        ("http://prometheus.monitoring.svc:9090@10.0.0.7:80", False),
        ("http://thanos.monitoring.svc/tenant-a", True),
        ("http://thanos.monitoring.svc:80/tenant-a/", True),
        ("http://thanos.monitoring.svc/tenant-ab", False),
        ("http://thanos.monitoring.svc/", False),
        ("http://vm.monitoring.svc:8428", True),
        ("https://vm.monitoring.svc:8428", True),
        ("http://vm.monitoring.svc:8429", False),
        ("http://mimir.monitoring.svc:1234", True),
        ("not a url", False),
    ],
)
def test_allow_list_matching(address: str, allowed: bool) -> None:
    entries = AddressAllowList(
        [
            "http://prometheus.monitoring.svc:9090",
            "http://thanos.monitoring.svc/tenant-a",
            "vm.monitoring.svc:8428",
            "mimir.monitoring.svc",
        ]
    )
    assert entries.allows(address) is allowed


def test_an_empty_allow_list_allows_every_address() -> None:
    assert AddressAllowList().allows("http://169.254.169.254/latest/meta-data")


def test_an_entry_without_a_host_is_refused() -> None:
    with pytest.raises(ValueError, match="names no host"):
        AddressAllowList(["http://:9090"])
