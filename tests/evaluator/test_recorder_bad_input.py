"""Bad input to the recorder is refused cheaply and bounded: a huge body is answered 413
from its declared length alone, invalid JSON 400, a flood of connections never gets more
threads than the pool, and memory stops growing at the sample's maximum."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from recorder_support import body, metric, record_process, recorder, samples

from pixelproof_testkit.polling import wait_for


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        return conn.recv(4096)


def test_a_huge_body_gets_413_without_being_read() -> None:
    with recorder(max_body_bytes=4096) as rec:
        started = time.monotonic()
        # Declares a gigabyte and sends a few bytes: an answer proves nothing waited for the rest.
        head = _raw(
            rec.port,
            b"POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1073741824\r\n\r\n{"prompt":',
        )
        assert head.startswith(b"HTTP/1.1 413"), head
        assert time.monotonic() - started < 5
        chunked = httpx.post(
            rec.url + "/generate", content=iter([b"x" * 3000, b"y" * 3000]), timeout=10
        )
        assert chunked.status_code == 413
        assert metric(rec.url, 'pixelproof_recorder_rejected_total{reason="too-large"}') == 2
        assert samples(rec.url) == []


@pytest.mark.parametrize(
    ("content", "reason", "message"),
    [
        (b"{not json", "invalid-json", "not valid JSON"),
        (b"\xff\xfe", "invalid-json", "not valid JSON"),
        (b'["a list"]', "invalid-request", "JSON object"),
        (b'{"prompt": "p", "size": "huge"}', "invalid-request", "WIDTHxHEIGHT"),
        (b'{"prompt": "", "size": "64x64"}', "invalid-request", "prompt is required"),
        (b'{"prompt": "p", "size": "64x64", "seed": -1}', "invalid-request", "seed must be"),
    ],
)
def test_invalid_bodies_get_400_naming_the_problem(
    content: bytes, reason: str, message: str
) -> None:
    with recorder() as rec:
        reply = httpx.post(rec.url + "/generate", content=content)
        assert reply.status_code == 400
        assert message in reply.json()["error"]
        assert metric(rec.url, f'pixelproof_recorder_rejected_total{{reason="{reason}"}}') == 1
        assert samples(rec.url) == []


def test_a_flood_of_connections_is_turned_away_not_given_threads() -> None:
    with recorder(workers=2, backlog=2) as rec:
        before = threading.active_count()
        # Idle connections hold a worker each until their timeout; the rest must be refused.
        held = [socket.create_connection(("127.0.0.1", rec.port)) for _ in range(40)]
        try:
            wait_for(
                lambda: rec.rejected["overload"] >= 36,
                timeout=20,
                what="connections beyond the pool and its queue refused",
            )
            assert threading.active_count() - before <= 2
        finally:
            for conn in held:
                conn.close()
        wait_for(
            lambda: (
                httpx.post(rec.url + "/generate", json=body("after the flood")).status_code == 202
            ),
            timeout=30,
            what="the recorder answering again after the flood",
        )


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_memory_stops_growing_at_the_maximum_sample() -> None:
    with record_process("--max-count", "200", "--retention", "1h") as (url, proc):
        _fill_past_the_maximum(url, proc.pid)


def _fill_past_the_maximum(url: str, pid: int) -> None:
    filler = "x" * 4000

    def send(start: int, count: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            for i in range(start, start + count):
                assert (
                    client.post("/generate", json=body(f"{i} {filler}", seed=i)).status_code == 202
                )

    send(0, 400)
    full = _rss_kib(pid)
    send(400, 2000)
    after = _rss_kib(pid)
    assert metric(url, "pixelproof_recorder_sample_size") == 200
    # 2000 more distinct 4 KB records past the maximum: a store that kept them would grow by
    # about 8 MB; a bounded one stays within allocator noise.
    assert after - full < 3000, (full, after)
