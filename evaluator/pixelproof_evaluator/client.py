"""The generator client: one POST per image under the generator contract, with a hard
deadline per attempt, a concurrency limit, and bounded retries.

Retries use exponential backoff with full jitter and happen only on connection errors and
5xx replies: a 4xx is the evaluator's own mistake and a timeout means the model is
already overloaded, so retrying either would only add to a storm."""

from __future__ import annotations

import asyncio
import functools
import random
import ssl
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from pixelproof.api.workloads import EVALUATION_HEADER, GeneratorContract

from .budget import ByteBudget
from .request_body import RequestInputs, build_request
from .request_body import build_body as build_body

FailureKind = Literal["timeout", "connection", "http-status", "too-large", "decode"]
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_BYTES_IN_FLIGHT = 4 * DEFAULT_MAX_BODY_BYTES
"""Reply bytes held at once by all requests sharing a budget (both models of an evaluation)."""


def byte_budget(
    total_bytes: int = DEFAULT_MAX_BYTES_IN_FLIGHT, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> ByteBudget:
    return ByteBudget(total_bytes, max_body_bytes)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 4.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**retry)]."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**retry))


@dataclass(frozen=True)
class GenerationResult:
    body: bytes | None
    latency_ms: float | None
    attempts: int
    failure: FailureKind | None = None
    status: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class ClientStats:
    requests: int = 0
    attempts: int = 0
    retries: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "attempts": self.attempts,
            "retries": self.retries,
            "failures": dict(self.failures),
        }


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building it loads the CA bundle, about 20 ms: each evaluation's two clients would
    # otherwise pay that before their first request.
    return httpx.create_ssl_context()


class _Retryable(Exception):
    def __init__(self, result: GenerationResult) -> None:
        super().__init__(result.detail)
        self.result = result


class GeneratorClient:
    def __init__(
        self,
        base_url: str,
        contract: GeneratorContract,
        *,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        budget: ByteBudget | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.contract = contract
        self.retry = retry or RetryPolicy()
        self.max_body_bytes = max_body_bytes
        self.budget = budget or byte_budget(
            max(DEFAULT_MAX_BYTES_IN_FLIGHT, max_body_bytes), max_body_bytes
        )
        if self.budget.largest_body_bytes < max_body_bytes:
            raise ValueError(
                f"the byte budget's largest body ({self.budget.largest_body_bytes} bytes) is "
                f"below the body limit of {max_body_bytes} bytes"
            )
        self.stats = ClientStats()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._rng = rng or random.Random()
        self._sleep = sleep
        timeout = contract.timeout_seconds
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={EVALUATION_HEADER: "true"},
            verify=_tls_context(),
        )

    async def __aenter__(self) -> GeneratorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def request(
        self,
        prompt: str,
        seed: int,
        size: str,
        transparent: bool,
        fields: Mapping[str, Any] | None = None,
        inputs: RequestInputs | None = None,
    ) -> httpx.Request:
        """The request for one image, built but not sent; raises InputTooLarge."""
        body = build_body(self.contract, prompt, seed, size, transparent, fields)
        return build_request(self._http, self.base_url, self.contract, body, inputs)

    async def generate(
        self,
        prompt: str,
        seed: int,
        size: str,
        transparent: bool,
        fields: Mapping[str, Any] | None = None,
        inputs: RequestInputs | None = None,
    ) -> GenerationResult:
        """One image; `inputs` makes it an image-to-image request. Raises InputTooLarge,
        sending nothing, when the request would be over the contract's limit."""
        request = self.request(prompt, seed, size, transparent, fields, inputs)
        self.stats.requests += 1
        attempt = 0
        while True:
            attempt += 1
            async with self._semaphore:
                self.stats.attempts += 1
                try:
                    result = await self._attempt(request, attempt)
                except _Retryable as retryable:
                    result = retryable.result
                    if attempt < self.retry.max_attempts:
                        self.stats.retries += 1
                        delay = self.retry.delay(attempt - 1, self._rng)
                    else:
                        delay = None
                else:
                    delay = None
            if delay is None:
                if result.failure is not None:
                    self.stats.failures[result.failure] += 1
                return result
            await self._sleep(delay)

    async def _attempt(self, request: httpx.Request, attempt: int) -> GenerationResult:
        started = time.perf_counter()
        deadline = self.contract.timeout_seconds
        waited: list[float] = []
        try:
            async with asyncio.timeout(deadline) as limit:
                status, data = await self._post(request, waited, limit)
        except (TimeoutError, httpx.TimeoutException) as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise _Retryable(
                    GenerationResult(
                        None, None, attempt, "connection", None, f"connect timeout: {exc}"
                    )
                ) from exc
            return GenerationResult(
                None, None, attempt, "timeout", None, f"no complete reply within {deadline:g}s"
            )
        except _BodyTooLarge as exc:
            return GenerationResult(None, None, attempt, "too-large", exc.status, str(exc))
        except (httpx.TransportError, OSError) as exc:
            raise _Retryable(
                GenerationResult(
                    None, None, attempt, "connection", None, f"{type(exc).__name__}: {exc}"
                )
            ) from exc
        # Time spent waiting on the byte budget is the evaluator's, not the generator's.
        latency_ms = (time.perf_counter() - started - sum(waited)) * 1000.0
        if status >= 500:
            raise _Retryable(
                GenerationResult(
                    None, latency_ms, attempt, "http-status", status, _snippet(status, data)
                )
            )
        if not 200 <= status < 300:
            return GenerationResult(
                None, latency_ms, attempt, "http-status", status, _snippet(status, data)
            )
        return GenerationResult(data, latency_ms, attempt, None, status)

    async def _post(
        self, request: httpx.Request, waited: list[float], limit: asyncio.Timeout
    ) -> tuple[int, bytes]:
        response = await self._http.send(request, stream=True)
        try:
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise _BodyTooLarge(response.status_code, int(declared), self.max_body_bytes)
            total = 0
            with self.budget.lease() as reply:
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > self.max_body_bytes:
                        raise _BodyTooLarge(response.status_code, total, self.max_body_bytes)
                    # The deadline is the generator's: it stands still while this reply
                    # waits for others to free the budget.
                    when = limit.when()
                    limit.reschedule(None)
                    before = time.perf_counter()
                    await reply.keep(chunk)
                    wait = time.perf_counter() - before
                    waited.append(wait)
                    limit.reschedule(None if when is None else when + wait)
                return response.status_code, reply.body()
        finally:
            await response.aclose()


class _BodyTooLarge(Exception):
    def __init__(self, status: int, size: int, limit: int) -> None:
        super().__init__(f"reply body of at least {size} bytes is over the limit of {limit} bytes")
        self.status = status


def _snippet(status: int, data: bytes) -> str:
    text = data[:200].decode("utf-8", errors="replace").strip()
    return f"HTTP {status}" + (f": {text}" if text else "")
