"""Which metric gates are due, and querying them concurrently within a deadline.

The due-ness helpers are pure (status and a clock reading in, gate names out); the
Sampler does the I/O. The operator calls Sampler.sample from a worker thread and
hands the samples to the engine, which judges them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import UTC, datetime, timedelta
from typing import Any

from pixelproof.api.metrics import MetricGate, PrometheusProvider
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.status import TERMINAL_PHASES
from pixelproof.engine.observations import MetricSample

from .prometheus import PrometheusMetrics
from .provider import MetricProvider, QueryResult
from .templating import TemplateError, gate_interval_seconds, render_gate

ProviderFactory = Callable[[PrometheusProvider], MetricProvider]
_InFlight = tuple[MetricGate, str, str | None, Future[QueryResult], Future[QueryResult] | None]

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
                query, stable_query = render_gate(gate, spec, namespace)
            except TemplateError as exc:
                samples[gate.name] = MetricSample(
                    gate=gate.name, query=gate.query or "", error=str(exc), rejected=True
                )
                continue
            candidate = self._pool.submit(provider.query, query)
            stable = None
            if stable_query is not None:
                stable = self._pool.submit(provider.query, stable_query)
            pending.append((gate, query, stable_query, candidate, stable))
        deadline = config.timeout_seconds + DEADLINE_MARGIN_SECONDS
        futures = [f for *_, c, s in pending for f in (c, s) if f is not None]
        wait_futures(futures, timeout=deadline)
        late = QueryResult(error=f"no answer from {config.address} within {deadline:g}s")
        for gate, query, stable_query, candidate, stable in pending:
            got = _outcome(candidate, late)
            stable_got = None if stable is None else _outcome(stable, late)
            samples[gate.name] = _sample(gate.name, query, got, stable_query, stable_got)
        return tuple(samples[g.name] for g in gates)


def _outcome(future: Future[QueryResult], late: QueryResult) -> QueryResult:
    if not future.done():
        future.cancel()
        return late
    failure = future.exception()
    if failure is not None:
        return QueryResult(error=f"metric provider failed: {type(failure).__name__}: {failure}")
    return future.result()


def _sample(
    gate: str,
    query: str,
    result: QueryResult,
    stable_query: str | None,
    stable: QueryResult | None,
) -> MetricSample:
    error, rejected = result.error, result.rejected
    if error is None and stable is not None and stable.error is not None:
        error, rejected = f"stable side: {stable.error}", stable.rejected
    return MetricSample(
        gate=gate,
        query=query,
        value=result.value,
        error=error,
        stable_query=stable_query,
        stable_value=None if stable is None else stable.value,
        rejected=rejected,
    )
