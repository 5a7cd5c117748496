"""The generator client's retry policy against real servers: 5xx and dropped connections are
retried with bounded, jittered backoff; 4xx and timeouts never are."""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any

import pytest

from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.client import GeneratorClient, RetryPolicy, build_body

POLICY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.03)


def generate(
    url: str, size: str = "64x64", *, timeout: float = 10.0, **kwargs: Any
) -> tuple[Any, Any, list[float]]:
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    async def go() -> tuple[Any, Any]:
        contract = GeneratorContract(timeout_seconds=timeout)
        async with GeneratorClient(url, contract, retry=POLICY, sleep=sleep, **kwargs) as client:
            result = await client.generate("a poster", 1, size, False)
            return result, client.stats

    result, stats = asyncio.run(go())
    return result, stats, delays


def test_success_needs_one_attempt(start_refgen: Any) -> None:
    result, stats, delays = generate(start_refgen().url)
    assert result.ok and result.body.startswith(b"\x89PNG")
    assert (stats.attempts, stats.retries, delays) == (1, 0, [])
    assert result.latency_ms > 0


def test_5xx_is_retried_until_the_bound(start_refgen: Any) -> None:
    server = start_refgen(error_rate=1.0)
    result, stats, delays = generate(server.url)
    assert result.failure == "http-status" and result.status == 502
    assert stats.attempts == POLICY.max_attempts
    assert stats.retries == POLICY.max_attempts - 1
    assert stats.failures == {"http-status": 1}
    for retry, delay in enumerate(delays):
        assert 0.0 <= delay <= min(POLICY.max_delay, POLICY.base_delay * 2**retry)


def test_dropped_connection_is_retried(start_refgen: Any) -> None:
    server = start_refgen(crash_rate=1.0)
    result, stats, _ = generate(server.url)
    assert result.failure == "connection"
    assert stats.attempts == POLICY.max_attempts


def test_refused_connection_is_retried_and_classified() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, stats, _ = generate(f"http://127.0.0.1:{port}")
    assert result.failure == "connection"
    assert stats.attempts == POLICY.max_attempts


def test_4xx_is_never_retried(start_refgen: Any) -> None:
    result, stats, delays = generate(start_refgen().url, size="8x8")
    assert result.failure == "http-status" and result.status == 400
    assert "size" in result.detail
    assert (stats.attempts, delays) == (1, [])


def test_timeout_is_not_retried(start_refgen: Any) -> None:
    result, stats, _ = generate(start_refgen(hang=1.0).url, timeout=0.5)
    assert result.failure == "timeout"
    assert stats.attempts == 1


def test_oversized_body_is_refused(start_refgen: Any) -> None:
    result, _, _ = generate(start_refgen().url, size="512x512", max_body_bytes=1024)
    assert result.failure == "too-large"


def test_concurrency_limit_bounds_requests_in_flight(start_refgen: Any) -> None:
    server = start_refgen(latency_ms=100.0)
    in_flight = 0
    peak = 0

    async def go() -> None:
        nonlocal in_flight, peak
        contract = GeneratorContract(timeout_seconds=10)
        async with GeneratorClient(server.url, contract, concurrency=2) as client:
            original = client._post

            async def counting(*args: Any) -> tuple[int, bytes]:
                nonlocal in_flight, peak
                in_flight += 1
                peak = max(peak, in_flight)
                try:
                    return await original(*args)
                finally:
                    in_flight -= 1

            client._post = counting  # type: ignore[method-assign]
            await asyncio.gather(*(client.generate("p", i, "32x32", False) for i in range(6)))

    asyncio.run(go())
    assert peak == 2


def test_full_jitter_stays_within_the_exponential_cap() -> None:
    rng = random.Random(7)
    policy = RetryPolicy(max_attempts=8, base_delay=0.5, max_delay=4.0)
    for retry in range(8):
        cap = min(4.0, 0.5 * 2**retry)
        samples = [policy.delay(retry, rng) for _ in range(200)]
        assert all(0.0 <= s <= cap for s in samples)
        assert max(samples) > cap * 0.8


@pytest.mark.parametrize("transparent", [True, False])
def test_request_body_merges_contract_fields(transparent: bool) -> None:
    contract = GeneratorContract(request={"steps": 30, "size": "1024x1024", "prompt": "x"})
    body = build_body(contract, "a cat", 5, "256x256", transparent)
    assert body == {
        "steps": 30,
        "size": "256x256",
        "prompt": "a cat",
        "seed": 5,
        "transparent": transparent,
    }
