"""Which metric gates are due, and querying them concurrently within a deadline.

The due-ness helpers are pure (status and a clock reading in, gate names out); the
Sampler does the I/O. The operator calls Sampler.sample from a worker thread and
hands the samples to the engine, which judges them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pixelproof.api.metrics import MetricGate, PrometheusProvider
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.status import TERMINAL_PHASES
from pixelproof.engine.observations import MetricSample

from .prometheus import PrometheusMetrics
from .provider import MetricProvider, QueryResult
from .templating import TemplateError, gate_interval_seconds, render_queries

ProviderFactory = Callable[[PrometheusProvider], MetricProvider]


@dataclass(frozen=True)
class _InFlight:
    gate: MetricGate
    query: str
    candidate: Future[QueryResult]
    stable_query: str | None = None
    stable: Future[QueryResult] | None = None
    requests: Future[QueryResult] | None = None

    def futures(self) -> list[Future[QueryResult]]:
        return [f for f in (self.candidate, self.stable, self.requests) if f is not None]


DEADLINE_MARGIN_SECONDS = 1.0
"""Past the provider's own HTTP timeout, so a query that times out reports its own error."""


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp as Kubernetes writes it ("2024-05-01T12:00:00Z")."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _spec_model(spec: ModelRolloutSpec | Mapping[str, Any]) -> ModelRolloutSpec:
    return spec if isinstance(spec, ModelRolloutSpec) else ModelRolloutSpec.model_validate(spec)


def _last_times(status: Mapping[str, Any]) -> dict[str, datetime]:
    times: dict[str, datetime] = {}
    for gate in status.get("gates") or []:
        last = gate.get("lastTime")
        if last:
            times[gate["name"]] = parse_time(last)
    return times


def seconds_until_due(
    spec: ModelRolloutSpec | Mapping[str, Any], status: Mapping[str, Any], now: datetime
) -> dict[str, float]:
    """Per gate, seconds until its next query is due (0 or less: due now).

    Empty before the candidate first gets traffic (nothing to measure; the engine
    ignores samples then) and once the rollout has finished."""
    model = _spec_model(spec)
    if not status.get("trafficShifted") or status.get("phase") in TERMINAL_PHASES:
        return {}
    last = _last_times(status)
    result: dict[str, float] = {}
    for gate in model.metrics.gates:
        previous = last.get(gate.name)
        if previous is None:
            result[gate.name] = 0.0
            continue
        due_at = previous + timedelta(seconds=gate_interval_seconds(gate, model))
        result[gate.name] = (due_at - now).total_seconds()
    return result


def due_gates(
    spec: ModelRolloutSpec | Mapping[str, Any], status: Mapping[str, Any], now: datetime
) -> list[str]:
    """Names of the gates to query now, in spec order."""
    return [name for name, wait in seconds_until_due(spec, status, now).items() if wait <= 0]


def next_due_in(
    spec: ModelRolloutSpec | Mapping[str, Any], status: Mapping[str, Any], now: datetime
) -> float | None:
    """Seconds until the earliest gate is due, for scheduling the next reconcile; None
    when no gate will run again."""
    waits = seconds_until_due(spec, status, now).values()
    return max(0.0, min(waits)) if waits else None


def prometheus_provider(config: PrometheusProvider) -> MetricProvider:
    return PrometheusMetrics(config.address, config.timeout_seconds)


class Sampler:
    """Queries a rollout's due gates, candidate and stable side, all at once.

    Providers are kept per address so HTTP connections are reused across reconciles."""

    def __init__(
        self, provider_factory: ProviderFactory = prometheus_provider, max_workers: int = 16
    ) -> None:
        self._factory = provider_factory
        self._providers: dict[tuple[str, float], MetricProvider] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="metric-gate")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for provider in self._providers.values():
                close = getattr(provider, "close", None)
                if close is not None:
                    close()
            self._providers.clear()

    def __enter__(self) -> Sampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def provider(self, config: PrometheusProvider) -> MetricProvider:
        key = (config.address, config.timeout_seconds)
        with self._lock:
            if key not in self._providers:
                self._providers[key] = self._factory(config)
            return self._providers[key]

    def sample(
        self,
        spec: ModelRolloutSpec | Mapping[str, Any],
        status: Mapping[str, Any],
        namespace: str,
        now: datetime,
    ) -> tuple[MetricSample, ...]:
        """Samples of the gates due at `now`; empty when none is due."""
        model = _spec_model(spec)
        names = set(due_gates(model, status, now))
        gates = [gate for gate in model.metrics.gates if gate.name in names]
        return self.sample_gates(gates, model, namespace)

    def _submit(self, provider: MetricProvider, query: str | None) -> Future[QueryResult] | None:
        return None if query is None else self._pool.submit(provider.query, query)

    def sample_gates(
        self, gates: list[MetricGate], spec: ModelRolloutSpec, namespace: str
    ) -> tuple[MetricSample, ...]:
        if not gates:
            return ()
        config = spec.metrics.prometheus
        assert config is not None, "MetricsSpec requires a provider when it has gates"
        provider = self.provider(config)
        pending: list[_InFlight] = []
        samples: dict[str, MetricSample] = {}
        for gate in gates:
            try:
                query, stable_query, requests_query = render_queries(gate, spec, namespace)
            except TemplateError as exc:
                samples[gate.name] = MetricSample(
                    gate=gate.name, query=gate.query or "", error=str(exc), rejected=True
                )
                continue
            pending.append(
                _InFlight(
                    gate,
                    query,
                    self._pool.submit(provider.query, query),
                    stable_query,
                    self._submit(provider, stable_query),
                    self._submit(provider, requests_query),
                )
            )
        deadline = config.timeout_seconds + DEADLINE_MARGIN_SECONDS
        wait_futures([f for flight in pending for f in flight.futures()], timeout=deadline)
        late = QueryResult(error=f"no answer from {config.address} within {deadline:g}s")
        for flight in pending:
            samples[flight.gate.name] = _sample(flight, late)
        return tuple(samples[g.name] for g in gates)


def _outcome(future: Future[QueryResult], late: QueryResult) -> QueryResult:
    if not future.done():
        future.cancel()
        return late
    failure = future.exception()
    if failure is not None:
        return QueryResult(error=f"metric provider failed: {type(failure).__name__}: {failure}")
    return future.result()


def _sample(flight: _InFlight, late: QueryResult) -> MetricSample:
    result = _outcome(flight.candidate, late)
    stable = None if flight.stable is None else _outcome(flight.stable, late)
    requests = None if flight.requests is None else _outcome(flight.requests, late)
    error, rejected = result.error, result.rejected
    for side, other in (("stable side", stable), ("requests query", requests)):
        if error is None and other is not None and other.error is not None:
            error, rejected = f"{side}: {other.error}", other.rejected
    return MetricSample(
        gate=flight.gate.name,
        query=flight.query,
        value=result.value,
        error=error,
        stable_query=flight.stable_query,
        stable_value=None if stable is None else stable.value,
        rejected=rejected,
        requests=None if requests is None else (requests.value or 0.0),
    )
