"""The traffic driver against two real generator servers."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pixelproof_refgen import Faults, RefGenServer
from pixelproof_refgen.traffic import TrafficDriver
from pixelproof_testkit.polling import wait_for

StartServer = Callable[..., RefGenServer]


def images(server: RefGenServer) -> float:
    value = server.metrics.registry.get_sample_value("generate_images_total")
    return value or 0.0


def test_requests_split_by_weights(start_server: StartServer) -> None:
    stable, candidate = start_server(), start_server()
    driver = TrafficDriver(
        stable.generate_url,
        candidate.generate_url,
        lambda: (80, 20),
        rate=400,
        concurrency=4,
        count=100,
        size="32x32",
    )
    report = driver.run()
    assert report.sent == 100
    assert abs(report.stable.sent - 80) <= 2 and abs(report.candidate.sent - 20) <= 2
    assert report.stable.ok == report.stable.sent and report.candidate.ok == report.candidate.sent
    assert images(stable) == report.stable.sent and images(candidate) == report.candidate.sent
    assert [w for _, w in report.weight_changes] == [(80, 20)]
    assert report.weight_changes[0][0] < 0.5


def test_weights_are_reread_while_running(start_server: StartServer) -> None:
    stable, candidate = start_server(), start_server()
    weights = {"now": (100, 0)}
    driver = TrafficDriver(
        stable.generate_url,
        candidate.generate_url,
        lambda: weights["now"],
        rate=200,
        concurrency=4,
        count=150,
        size="32x32",
        weights_every_s=0.1,
    ).start()
    wait_for(lambda: driver.report().sent >= 30, 10, "30 requests sent", every=0.02)
    weights["now"] = (0, 100)
    report = driver.wait(timeout_s=20)
    assert driver.done and report.sent == 150
    assert report.stable.sent >= 30 and report.candidate.sent >= 50
    assert [w for _, w in report.weight_changes] == [(100, 0), (0, 100)]


def test_failures_are_counted_per_target(start_server: StartServer) -> None:
    stable = start_server()
    candidate = start_server(Faults(error_rate=1.0))
    report = TrafficDriver(
        stable.generate_url,
        candidate.generate_url,
        lambda: (50, 50),
        rate=400,
        count=40,
        size="32x32",
    ).run()
    assert report.stable.ok == 20 and report.candidate.http_errors == {502: 20}

    crashing = start_server(Faults(crash_rate=1.0))
    report = TrafficDriver(
        stable.generate_url, crashing.generate_url, lambda: (0, 1), rate=400, count=10
    ).run()
    assert report.candidate.transport_errors == 10 and report.candidate.ok == 0


def test_duration_bounds_the_run_and_stop_ends_it(start_server: StartServer) -> None:
    server = start_server()
    started = time.monotonic()
    report = TrafficDriver(
        server.generate_url, server.generate_url, lambda: (1, 1), rate=20, duration_s=0.5
    ).run()
    assert 5 <= report.sent <= 12 and time.monotonic() - started < 5

    driver = TrafficDriver(
        server.generate_url, server.generate_url, lambda: (1, 1), rate=50, duration_s=60
    ).start()
    wait_for(lambda: driver.report().sent >= 5, 10, "5 requests sent", every=0.02)
    report = driver.stop()
    assert driver.done and report.elapsed_s < 30
    assert report.stable.ok + report.candidate.ok == report.sent


def test_concurrency_limit_holds_with_slow_answers(start_server: StartServer) -> None:
    slow = start_server(Faults(latency_ms=200))
    started = time.monotonic()
    report = TrafficDriver(
        slow.generate_url, slow.generate_url, lambda: (1, 0), rate=1000, concurrency=2, count=6
    ).run()
    # Six 200 ms answers two at a time take at least three rounds.
    assert report.stable.ok == 6 and time.monotonic() - started >= 0.6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stable_url": "http://10.0.0.8/generate"}, "not a loopback address"),
        ({"candidate_url": "https://127.0.0.1/generate"}, "must be an http:// URL"),
        ({"count": None}, "must be bounded"),
        ({"rate": 0}, "rate must be positive"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "stable_url": "http://127.0.0.1:1/generate",
        "candidate_url": "http://localhost:2/generate",
        "weights": lambda: (1, 0),
        "count": 1,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        TrafficDriver(**arguments)  # type: ignore[arg-type]


def test_bad_weights_at_start_are_refused() -> None:
    driver = TrafficDriver(
        "http://127.0.0.1:1/generate", "http://127.0.0.1:2/generate", lambda: (0, 0), count=1
    )
    with pytest.raises(ValueError, match="not both 0"):
        driver.run()
