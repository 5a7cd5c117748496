"""Pieces for running metric gates for real: a Prometheus server (the Debian binary)
scraping reference generator processes, a load driver, and a loop that feeds the real
engine with samples from the real Prometheus provider.

Shared by the metrics tests and the breach-to-rollback benchmark."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from pixelproof import telemetry
from pixelproof.api.commands import Command
from pixelproof.api.status import TERMINAL_PHASES, Weights
from pixelproof.engine import (
    CandidateReading,
    Decision,
    MetricSample,
    Observations,
    RouterReading,
    ScaleCandidate,
    SetWeights,
    decide,
    parse_spec,
)
from pixelproof.metrics.sampler import Sampler
from pixelproof_demo.prometheus import PrometheusServer

from .generators import Generator
from .polling import wait_for


def wait_for_series(
    prometheus: PrometheusServer, query: str, timeout: float = 30.0
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = wait_for(
        lambda: prometheus.query(query), timeout, f"series for {query}", every=0.2
    )
    return found


class WeightHolder:
    """Stands in for the router's data plane (a Gateway API or Istio proxy), which cannot
    run here: it holds the weights the engine sets, reports them back as the router
    reading, and the load driver splits traffic by them."""

    def __init__(self) -> None:
        self._weights = Weights(stable=100, candidate=0)
        self._lock = threading.Lock()
        self.changes: list[tuple[float, Weights]] = []

    def set(self, weights: Weights) -> None:
        with self._lock:
            self._weights = weights
            self.changes.append((time.monotonic(), weights))

    def get(self) -> Weights:
        with self._lock:
            return self._weights


class Load:
    """Generate requests at `rate` per second from a background thread, split between
    stable and candidate by the held weights; stops by itself after `max_requests`."""

    def __init__(
        self,
        stable: Generator,
        candidate: Generator,
        holder: WeightHolder,
        rate: float = 20.0,
        max_requests: int = 20_000,
    ) -> None:
        self.stable, self.candidate, self.holder = stable, candidate, holder
        self.period = 1.0 / rate
        self.max_requests = max_requests
        self.sent = {"stable": 0, "candidate": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        credit = 0
        body = {"prompt": "a poster that says HELLO", "size": "64x64"}
        with httpx.Client(timeout=5) as client:
            for number in range(self.max_requests):
                # Weighted round robin: deterministic, so a 20 % step gets exactly 1 in 5.
                credit += self.holder.get().candidate
                side = "stable"
                if credit >= 100:
                    credit -= 100
                    side = "candidate"
                target = self.candidate if side == "candidate" else self.stable
                try:
                    client.post(f"{target.url}/generate", json={**body, "seed": number})
                    self.sent[side] += 1
                except httpx.HTTPError:
                    pass
                if self._stop.wait(self.period):
                    return


@dataclass
class Tick:
    started: float
    sampled: float
    """When the samples came back: the moment a value became visible to the engine."""
    samples: tuple[MetricSample, ...]
    decision: Decision
    applied: float


@dataclass
class RolloutLoop:
    """The engine in a loop with the real sampler, as the operator runs it, minus
    Kubernetes: candidate readiness is given, weights go to a WeightHolder."""

    spec: dict[str, Any]
    sampler: Sampler
    holder: WeightHolder
    namespace: str = "imagegen"
    name: str = "poster-gen"
    status: dict[str, Any] = field(default_factory=dict)
    ticks: list[Tick] = field(default_factory=list)
    replicas: int = 1
    commands: dict[Command, str] = field(default_factory=dict)
    """Annotations an SRE set (kubectl pixelproof promote), as the operator reads them."""

    def tick(self) -> Tick:
        started = time.monotonic()
        now = datetime.now(UTC)
        samples = self.sampler.sample(self.spec, self.status, self.namespace, now)
        sampled = time.monotonic()
        observations = Observations(
            router=RouterReading(weights=self.holder.get()),
            candidate=CandidateReading(
                ready=True, ready_replicas=self.replicas, replicas=self.replicas
            ),
            metrics=samples,
            commands=dict(self.commands),
        )
        parsed = parse_spec(self.spec)
        decision = decide(
            parsed, self.status, observations, now, name=self.name, namespace=self.namespace
        )
        for action in decision.actions:
            if isinstance(action, SetWeights):
                self.holder.set(action.weights)
            elif isinstance(action, ScaleCandidate):
                self.replicas = action.replicas
        telemetry.observe_decision(
            self.namespace, self.name, parsed.gates, self.status, decision.status, decision.actions
        )
        self.status = decision.status
        tick = Tick(started, sampled, samples, decision, time.monotonic())
        self.ticks.append(tick)
        return tick

    def run_until(self, condition: Any, timeout: float, what: str, every: float = 0.05) -> Tick:
        """Tick until condition(loop) holds; fail with the rollout's last message."""
        deadline = time.monotonic() + timeout
        while True:
            tick = self.tick()
            if condition(self):
                return tick
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:g}s waiting for {what}; "
                    f"status: {self.status.get('message')!r}, gates: {self.status.get('gates')}"
                )
            time.sleep(every)

    @property
    def phase(self) -> str:
        return str(self.status.get("phase", ""))

    @property
    def finished(self) -> bool:
        return self.phase in TERMINAL_PHASES

    def gate(self, name: str) -> dict[str, Any]:
        return next((g for g in self.status.get("gates", []) if g["name"] == name), {})

    def samples_of(self, gate: str) -> list[tuple[float, MetricSample]]:
        return [(t.started, s) for t in self.ticks for s in t.samples if s.gate == gate]

    def condition(self, kind: str) -> dict[str, Any]:
        return next((c for c in self.status.get("conditions", []) if c["type"] == kind), {})


def rollout_spec(
    prometheus_url: str,
    stable_service: str,
    candidate_service: str,
    gates: list[dict[str, Any]],
    steps: list[dict[str, Any]] | None = None,
    interval: str = "1s",
    progress_deadline_seconds: int = 60,
    timeout_seconds: float = 2.0,
) -> dict[str, Any]:
    return {
        "stable": {"deployment": "poster-gen-v1", "service": stable_service},
        "candidate": {"deployment": "poster-gen-v2", "service": candidate_service, "replicas": 1},
        "traffic": {"gatewayAPI": {"httpRoute": "poster-gen"}},
        "steps": steps or [{"setWeight": 20}, {"pause": {"duration": "2s"}}, {"setWeight": 100}],
        "metrics": {
            "prometheus": {"address": prometheus_url, "timeoutSeconds": timeout_seconds},
            "interval": interval,
            "gates": gates,
        },
        "progressDeadlineSeconds": progress_deadline_seconds,
    }
