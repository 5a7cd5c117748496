"""A bounded load of generate requests split between a stable and a candidate generator.

The split follows ``weights() -> (stable, candidate)``, re-read every second (the demo reads
the router's weights back from the Kubernetes API), and uses smooth weighted round-robin,
so that 100 requests at weights 90/10 give exactly 90 and 10. Requests leave at a fixed rate
with at most ``concurrency`` in flight; the run ends after ``count`` requests or
``duration_s`` seconds, whichever comes first, or on ``stop()``. Only loopback URLs are
accepted: this is a test and demo tool, not a load generator for real services.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PROMPTS: tuple[str, ...] = (
    'a summer sale poster that says "Summer Sale" in bold letters',
    'a product label reading "Fresh Lemonade" on a yellow background',
    'a cafe sign that says "Open Daily" with a coffee cup',
)
TARGETS = ("stable", "candidate")
Weights = tuple[int, int]


@dataclass
class TargetCounts:
    sent: int = 0
    ok: int = 0
    http_errors: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0  # refused, closed without an answer, timed out


@dataclass
class TrafficReport:
    stable: TargetCounts
    candidate: TargetCounts
    elapsed_s: float
    weight_changes: list[tuple[float, Weights]]  # (seconds since start, weights) as read
    weight_read_errors: int

    @property
    def sent(self) -> int:
        return self.stable.sent + self.candidate.sent


def check_loopback_url(url: str) -> tuple[str, int, str]:
    """(host, port, path) of an http URL on a loopback address, or a ValueError saying why not."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"traffic target {url!r} must be an http:// URL")
    host = parts.hostname
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback:
        raise ValueError(f"traffic target {url!r} is not a loopback address")
    return host, parts.port or 80, parts.path or "/"


def _check_weights(value: object) -> Weights:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 0 for w in value)
        or sum(value) == 0
    ):
        raise ValueError(f"weights must be two non-negative integers, not both 0; got {value!r}")
    return value[0], value[1]


class _Splitter:
    """Smooth weighted round-robin over the two targets."""

    def __init__(self, weights: Weights) -> None:
        self.weights = weights
        self._current = [0, 0]

    def set(self, weights: Weights) -> None:
        if weights != self.weights:
            self.weights = weights
            self._current = [0, 0]

    def pick(self) -> int:
        total = sum(self.weights)
        self._current = [c + w for c, w in zip(self._current, self.weights, strict=True)]
        chosen = 0 if self._current[0] >= self._current[1] else 1
        self._current[chosen] -= total
        return chosen


class TrafficDriver:
    def __init__(
        self,
        stable_url: str,
        candidate_url: str,
        weights: Callable[[], Weights],
        *,
        rate: float = 20.0,
        concurrency: int = 8,
        count: int | None = None,
        duration_s: float | None = None,
        prompts: Sequence[str] = DEFAULT_PROMPTS,
        size: str = "256x256",
        fields: Mapping[str, Any] | None = None,
        timeout_s: float = 10.0,
        weights_every_s: float = 1.0,
        on_request: Callable[[bytes], None] | None = None,
    ) -> None:
        """`on_request` sees each request body as it is sent (a stand-in data plane mirrors
        a share of them); it runs on the sending thread and must not raise."""
        if count is None and duration_s is None:
            raise ValueError("traffic must be bounded: give count, duration_s or both")
        if count is not None and count < 0:
            raise ValueError(f"count must be at least 0, got {count}")
        if duration_s is not None and duration_s <= 0:
            raise ValueError(f"duration_s must be positive, got {duration_s}")
        if rate <= 0:
            raise ValueError(f"rate must be positive requests per second, got {rate}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if not prompts:
            raise ValueError("prompts must not be empty")
        self._targets = [check_loopback_url(stable_url), check_loopback_url(candidate_url)]
        self._weights = weights
        self._rate = rate
        self._concurrency = concurrency
        self._count = count
        self._duration_s = duration_s
        self._prompts = list(prompts)
        self._size = size
        self._fields = dict(fields or {})
        self._timeout_s = timeout_s
        self._weights_every_s = weights_every_s
        self._on_request = on_request
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counts = [TargetCounts(), TargetCounts()]
        self._weight_changes: list[tuple[float, Weights]] = []
        self._weight_read_errors = 0
        self._started = 0.0
        self._finished: float | None = None
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    def run(self) -> TrafficReport:
        """Send the whole load in the calling thread and report."""
        self._begin()
        self._drive()
        return self.report()

    def start(self) -> TrafficDriver:
        """Send the load from a background thread; ``wait()`` or ``stop()`` ends it."""
        self._begin()
        self._thread = threading.Thread(target=self._drive, name="traffic-driver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> TrafficReport:
        """Send no more requests, wait for those in flight, and report."""
        self._stop.set()
        return self.wait()

    def wait(self, timeout_s: float | None = None) -> TrafficReport:
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.report()

    @property
    def done(self) -> bool:
        return self._finished is not None

    def report(self) -> TrafficReport:
        with self._lock:
            end = self._finished if self._finished is not None else time.monotonic()
            return TrafficReport(
                stable=_copy(self._counts[0]),
                candidate=_copy(self._counts[1]),
                elapsed_s=end - self._started,
                weight_changes=list(self._weight_changes),
                weight_read_errors=self._weight_read_errors,
            )

    def _begin(self) -> None:
        if self._started:
            raise RuntimeError("a traffic driver runs once; make a new one")
        self._started = time.monotonic()
        self._splitter = _Splitter(self._read_weights(required=True))

    def _read_weights(self, required: bool = False) -> Weights:
        try:
            weights = _check_weights(self._weights())
        except Exception:
            if required:
                raise
            with self._lock:
                self._weight_read_errors += 1
            return self._splitter.weights
        with self._lock:
            if not self._weight_changes or self._weight_changes[-1][1] != weights:
                self._weight_changes.append((time.monotonic() - self._started, weights))
        return weights

    def _drive(self) -> None:
        slots = threading.Semaphore(self._concurrency)
        deadline = None if self._duration_s is None else self._started + self._duration_s
        weights_read_at = self._started
        schedule_start, scheduled = self._started, 0
        try:
            with ThreadPoolExecutor(self._concurrency, thread_name_prefix="traffic") as pool:
                index = 0
                while not self._stop.is_set() and (self._count is None or index < self._count):
                    now = time.monotonic()
                    send_at = schedule_start + scheduled / self._rate
                    # After a stall (every slot busy on slow answers) start the schedule
                    # afresh instead of bursting to catch up.
                    if now - send_at > 1.0:
                        schedule_start, scheduled, send_at = now, 0, now
                    if deadline is not None and send_at >= deadline:
                        break
                    if self._stop.wait(max(0.0, send_at - now)):
                        break
                    if not _acquire(slots, self._stop):
                        break
                    if time.monotonic() - weights_read_at >= self._weights_every_s:
                        weights_read_at = time.monotonic()
                        self._splitter.set(self._read_weights())
                    target = self._splitter.pick()
                    with self._lock:
                        self._counts[target].sent += 1
                    pool.submit(self._send, target, index, slots)
                    index += 1
                    scheduled += 1
        finally:
            with self._lock:
                self._finished = time.monotonic()

    def _send(self, target: int, index: int, slots: threading.Semaphore) -> None:
        try:
            status = self._post(target, index)
        except (OSError, http.client.HTTPException):
            self._drop_connection(target)
            status = None
        finally:
            slots.release()
        with self._lock:
            counts = self._counts[target]
            if status is None:
                counts.transport_errors += 1
            elif 200 <= status < 300:
                counts.ok += 1
            else:
                counts.http_errors[status] = counts.http_errors.get(status, 0) + 1

    def _post(self, target: int, index: int) -> int:
        path = self._targets[target][2]
        body = json.dumps(
            {
                **self._fields,
                "prompt": self._prompts[index % len(self._prompts)],
                "seed": index,
                "size": self._size,
            }
        ).encode()
        if self._on_request is not None:
            self._on_request(body)
        connection = self._connection(target)
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.will_close:
            self._drop_connection(target)
        return response.status

    def _connection(self, target: int) -> http.client.HTTPConnection:
        connections: dict[int, http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "connections", {}
        )
        if target not in connections:
            host, port, _ = self._targets[target]
            connections[target] = http.client.HTTPConnection(host, port, timeout=self._timeout_s)
        return connections[target]

    def _drop_connection(self, target: int) -> None:
        connection = self._local.__dict__.get("connections", {}).pop(target, None)
        if connection is not None:
            connection.close()


def _acquire(slots: threading.Semaphore, stop: threading.Event) -> bool:
    while not stop.is_set():
        if slots.acquire(timeout=0.1):
            return True
    return False


def _copy(counts: TargetCounts) -> TargetCounts:
    return TargetCounts(counts.sent, counts.ok, dict(counts.http_errors), counts.transport_errors)
