"""Reply bytes in flight across all requests of an evaluation are bounded by one shared
budget, measured as the process's resident memory against a real server (its own process)
that streams endless bodies to many requests at once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.budget import ByteBudget
from pixelproof_evaluator.client import GenerationResult, GeneratorClient, RetryPolicy

MiB = 1024 * 1024
TRANSPORT_BYTES = 2 * 256 * 1024
"""Per request in flight, what the transport holds before the client sees it: asyncio
reads up to 256 KiB at a time, and the stream can queue a second read before the
reader runs."""

SERVER = r"""
import asyncio, sys

MODE, SIZE = sys.argv[1], int(sys.argv[2])
CHUNK = b"x" * 65536
FRAME = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if MODE == "endless":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                while True:
                    writer.write(FRAME)
                    await writer.drain()
            body = b"\x89PNG" + b"x" * (SIZE - 4)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % SIZE
                + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=2048)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
"""


@pytest.fixture
def streaming_server() -> Iterator[Callable[[str, int], str]]:
    """Start a generator in its own process: "endless" bodies, or "sized" ones of N bytes."""
    started: list[subprocess.Popen[str]] = []

    def start(mode: str, size: int = 0) -> str:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, mode, str(size)], stdout=subprocess.PIPE, text=True
        )
        started.append(process)
        assert process.stdout is not None
        return f"http://127.0.0.1:{int(process.stdout.readline())}"

    yield start
    for process in started:
        process.kill()
        process.wait(10)


class PeakRss:
    """The process's resident set, sampled every few milliseconds in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(0.002)

    def __enter__(self) -> PeakRss:
        self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def _generate_all(
    url: str, requests: int, concurrency: int, timeout: float, **client: Any
) -> list[GenerationResult]:
    async def go() -> list[GenerationResult]:
        contract = GeneratorContract(timeout_seconds=timeout)
        retry = RetryPolicy(max_attempts=1)
        async with GeneratorClient(
            url, contract, concurrency=concurrency, retry=retry, **client
        ) as generator:
            return list(
                await asyncio.gather(
                    *(generator.generate("a poster", i, "64x64", False) for i in range(requests))
                )
            )

    return asyncio.run(go())


def test_endless_bodies_at_high_concurrency_stay_within_the_budget(
    streaming_server: Callable[[str, int], str],
) -> None:
    concurrency, max_body, total = 128, 8 * MiB, 24 * MiB
    sized = streaming_server("sized", 256 * 1024)
    endless = streaming_server("endless", 0)
    # The same run against small bodies first: connection pools, coroutines and the
    # allocator's arenas are then part of the baseline, not of the growth.
    warm = _generate_all(sized, 2 * concurrency, concurrency, 20.0, max_body_bytes=max_body)
    assert all(r.ok for r in warm)
    budget = ByteBudget(total, max_body)
    baseline = PeakRss.now()
    with PeakRss() as rss:
        results = _generate_all(
            endless, 2 * concurrency, concurrency, 3.0, max_body_bytes=max_body, budget=budget
        )
    growth = rss.peak - baseline
    declared = total + concurrency * TRANSPORT_BYTES
    print(
        f"\nRSS growth {growth / MiB:.1f} MiB; declared bound {declared / MiB:.1f} MiB "
        f"(budget {total / MiB:.0f} MiB + {TRANSPORT_BYTES // 1024} KiB of transport buffers "
        "per request in flight); "
        f"without a budget up to {concurrency * max_body / MiB:.0f} MiB; "
        f"budget peak {budget.peak / MiB:.1f} MiB"
    )
    assert {r.failure for r in results} <= {"too-large", "timeout"}
    assert any(r.failure == "too-large" for r in results), "no body reached its cap"
    assert budget.peak <= total
    assert budget.in_use == 0
    assert growth < declared, f"RSS grew {growth / MiB:.1f} MiB, over {declared / MiB:.1f} MiB"


def test_an_oversubscribed_budget_still_completes_every_honest_body(
    streaming_server: Callable[[str, int], str],
) -> None:
    body, concurrency = 1 * MiB, 96
    url = streaming_server("sized", body)
    # Far less than the bodies in flight (96 MiB): readers wait, and still all finish.
    budget = ByteBudget(6 * MiB, 2 * MiB)
    results = _generate_all(
        url, 2 * concurrency, concurrency, 60.0, max_body_bytes=2 * MiB, budget=budget
    )
    assert all(r.ok and r.body is not None and len(r.body) == body for r in results)
    assert 0 < budget.peak <= 6 * MiB
    assert budget.in_use == 0


def test_two_clients_share_one_budget(streaming_server: Callable[[str, int], str]) -> None:
    url = streaming_server("sized", 512 * 1024)
    budget = ByteBudget(2 * MiB, MiB)

    async def go() -> list[GenerationResult]:
        contract = GeneratorContract(timeout_seconds=60)
        async with (
            GeneratorClient(url, contract, concurrency=16, max_body_bytes=MiB, budget=budget) as a,
            GeneratorClient(url, contract, concurrency=16, max_body_bytes=MiB, budget=budget) as b,
        ):
            calls = [c.generate("p", i, "64x64", False) for i in range(32) for c in (a, b)]
            return list(await asyncio.gather(*calls))

    results = asyncio.run(go())
    assert all(r.ok for r in results)
    assert 0 < budget.peak <= 2 * MiB


def test_a_budget_smaller_than_one_body_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot hold a body"):
        ByteBudget(MiB, 2 * MiB)
    with pytest.raises(ValueError, match="below the body limit"):
        GeneratorClient(
            "http://127.0.0.1:1",
            GeneratorContract(),
            max_body_bytes=4 * MiB,
            budget=ByteBudget(8 * MiB, 2 * MiB),
        )


def test_waiting_for_the_budget_does_not_count_against_the_generators_deadline(
    streaming_server: Callable[[str, int], str],
) -> None:
    """Another reply holds the whole budget for three times the generator's deadline; the
    generator answers at once, so its reply is kept when the budget frees, not timed out."""
    body = 256 * 1024
    url = streaming_server("sized", body)
    budget = ByteBudget(body, body)
    deadline = 0.5

    async def go() -> GenerationResult:
        contract = GeneratorContract(timeout_seconds=deadline)
        retry = RetryPolicy(max_attempts=1)
        async with GeneratorClient(
            url, contract, concurrency=1, retry=retry, max_body_bytes=body, budget=budget
        ) as generator:
            with budget.lease() as other:
                await other.keep(b"x" * body)
                reply = asyncio.create_task(generator.generate("a poster", 0, "64x64", False))
                # Held on purpose past the deadline: the wait is what is under test.
                await asyncio.sleep(3 * deadline)
                assert not reply.done()
            return await reply

    result = asyncio.run(go())
    assert result.ok, result
    assert result.latency_ms is not None and result.latency_ms < 1000 * deadline
    assert budget.in_use == 0
