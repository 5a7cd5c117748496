"""A simulated world for the engine: a router that applies weights at once, a candidate
that becomes ready, evaluations with a chosen verdict, and metrics that are healthy
unless told otherwise. It exists to show, test and measure the engine without a cluster;
every reading can be set by hand between ticks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pixelproof.api.commands import Command
from pixelproof.api.evaluation import EvaluationSummary, GateVerdict
from pixelproof.api.gatesets import GateSetKey
from pixelproof.api.metrics import MetricGate
from pixelproof.api.status import TERMINAL_PHASES, Weights
from pixelproof.api.verdicts import FinalVerdict
from pixelproof.engine import (
    Action,
    CandidateReading,
    Decision,
    EmitEvent,
    EvaluationReading,
    MetricSample,
    Observations,
    ParsedSpec,
    RecorderReading,
    RemoveRecorder,
    RouterReading,
    ScaleCandidate,
    ScaleWithinBudget,
    SetMirror,
    SetRoutePolicies,
    SetWeights,
    StartEvaluation,
    StartRecorder,
    decide,
    parse_spec,
)


@dataclass
class SimulatedWorld:
    spec: dict[str, Any]
    name: str = "simulated"
    namespace: str = "default"
    evaluation_verdict: FinalVerdict | None = "Pass"
    """What every evaluation started from now on reports; None: it keeps running."""
    error_rate_after_spike: float | None = None
    spike_at_step: int | None = None
    healthy_metrics: bool = True
    """Gates without a value or error set below report a value within their bounds;
    otherwise they report nothing."""
    metric_values: dict[str, float | None] = field(default_factory=dict)
    metric_errors: dict[str, str] = field(default_factory=dict)
    metric_requests: dict[str, float] = field(default_factory=dict)
    """The candidate requests each gate's requests query counts; uncounted when absent."""
    auto_promote: bool = False
    """Promote every pause that waits for a person, as a patient SRE would."""
    tick_seconds: float = 5.0
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    status: dict[str, Any] = field(default_factory=dict)
    weights: Weights | None = field(default_factory=Weights)
    apply_weights: bool = True
    router_error: str | None = None
    mirror: int | None = None
    """Percent of requests the route mirrors to the prompt recorder."""
    apply_mirror: bool = True
    recorder: RecorderReading = field(default_factory=RecorderReading)
    recorder_starts_ready: bool = True
    candidate_replicas: int = 0
    candidate_ready: bool | None = None
    """Readiness regardless of replicas, when set."""
    candidate_template: str | None = None
    """The candidate Deployment's pod template digest; unset, one per Deployment name."""
    stable_replicas: int | None = None
    """Stable's replicas (all ready); None: traffic.gpuBudget's total, or 1 without one."""
    policies_active: bool = False
    """Whether the canary header and session affinity routes are in place."""
    evaluation: EvaluationReading | None = None
    commands: dict[Command, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    generation: int = 1
    history: list[Decision] = field(default_factory=list)
    started_jobs: list[str] = field(default_factory=list)
    gate_sets: dict[GateSetKey, Any] = field(default_factory=dict)
    """The spec of each GateSet and ClusterGateSet there is, by what names it."""

    def parsed(self) -> ParsedSpec:
        return parse_spec(self.spec, self.gate_sets, self.namespace)

    def _metric_samples(self, gates: Mapping[str, MetricGate]) -> tuple[MetricSample, ...]:
        """Healthy values sit inside each gate's bounds; a spike pushes gates with a max over it."""
        samples = []
        for name, gate in gates.items():
            query = f"<simulated {name}>"
            if name in self.metric_errors:
                samples.append(MetricSample(gate=name, query=query, error=self.metric_errors[name]))
                continue
            if name in self.metric_values:
                value = self.metric_values[name]
            elif self.healthy_metrics:
                value = gate.max / 2 if gate.max else (gate.min * 2 if gate.min else 0.0)
                if self._spiking() and gate.max is not None:
                    value = gate.max + (self.error_rate_after_spike or 0.3)
            else:
                continue
            samples.append(
                MetricSample(
                    gate=name,
                    query=query,
                    value=value,
                    stable_value=1.0,
                    requests=self.metric_requests.get(name),
                )
            )
        return tuple(samples)

    def _template(self) -> str:
        """A template per candidate Deployment name, whatever the spec holds."""
        candidate = self.spec.get("candidate") if isinstance(self.spec, dict) else None
        name = candidate.get("deployment") if isinstance(candidate, dict) else None
        return f"{name}-template"

    def _spiking(self) -> bool:
        step = self.spike_at_step
        return step is not None and int(self.status.get("currentStep", 0)) >= step

    def observe(self) -> Observations:
        ready = (
            self.candidate_replicas > 0 if self.candidate_ready is None else self.candidate_ready
        )
        return Observations(
            generation=self.generation,
            router=RouterReading(
                weights=self.weights,
                error=self.router_error,
                mirror=self.mirror,
                policies_active=self.policies_active if self._declares_policies() else None,
            ),
            recorder=self.recorder,
            stable=CandidateReading(
                ready=self.stable_pods > 0,
                ready_replicas=self.stable_pods,
                replicas=self.stable_pods,
            ),
            candidate=CandidateReading(
                ready=ready,
                ready_replicas=self.candidate_replicas if ready else 0,
                replicas=self.candidate_replicas,
                template=self.candidate_template or self._template(),
            ),
            evaluation=self.evaluation,
            metrics=self._metric_samples(self.parsed().gates),
            commands=dict(self.commands),
            problems=self.problems,
        )

    @property
    def stable_pods(self) -> int:
        if self.stable_replicas is not None:
            return self.stable_replicas
        budget = (self.spec.get("traffic") or {}).get("gpuBudget") or {}
        return int(budget.get("totalReplicas", 1))

    def _declares_policies(self) -> bool:
        traffic = self.spec.get("traffic") or {}
        return bool(traffic.get("canaryHeaders")) or "sessionAffinity" in traffic

    def apply(self, decision: Decision) -> None:
        self.status = decision.status
        self.history.append(decision)
        for action in decision.actions:
            self._apply(action)

    def _apply(self, action: Action) -> None:
        if isinstance(action, SetWeights) and self.apply_weights:
            self.weights = action.weights
        elif isinstance(action, SetMirror) and self.apply_mirror:
            self.mirror = action.percent
        elif isinstance(action, StartRecorder):
            self.recorder = RecorderReading(exists=True, ready=self.recorder_starts_ready)
        elif isinstance(action, RemoveRecorder):
            self.recorder = RecorderReading()
        elif isinstance(action, ScaleCandidate):
            self.candidate_replicas = action.replicas
        elif isinstance(action, ScaleWithinBudget):
            self.stable_replicas, self.candidate_replicas = action.stable, action.candidate
        elif isinstance(action, SetRoutePolicies):
            self.policies_active = action.active
        elif isinstance(action, StartEvaluation):
            self.started_jobs.append(action.job)
            self.evaluation = self._evaluation(action.job)

    def _evaluation(self, job: str) -> EvaluationReading:
        if self.evaluation_verdict is None:
            return EvaluationReading(job=job, state="Running")
        verdict = self.evaluation_verdict
        summary = EvaluationSummary(
            verdict=verdict,
            reason=f"simulated {verdict}",
            gates=[
                GateVerdict(
                    name="lpips",
                    verdict=verdict,
                    value=0.12 if verdict == "Pass" else 0.41,
                    threshold="<= 0.25",
                    limit=0.25,
                    comparison="<=",
                )
            ],
        )
        return EvaluationReading(
            job=job, state=self.evaluation_verdict, summary=summary, message=summary.reason
        )

    def tick(self, seconds: float | None = None) -> Decision:
        decision = decide(
            self.parsed(),
            self.status,
            self.observe(),
            self.now,
            name=self.name,
            namespace=self.namespace,
        )
        self.apply(decision)
        self.now += timedelta(seconds=self.tick_seconds if seconds is None else seconds)
        if self.auto_promote and self.phase == "Paused" and "promotion" in self.waiting_on:
            self.commands["promote"] = self.now.isoformat()
        return decision

    def run(self, ticks: int = 100, seconds: float | None = None) -> dict[str, Any]:
        """Tick until the rollout ends, at most `ticks` times."""
        for _ in range(ticks):
            self.tick(seconds)
            if self.finished:
                break
        return self.status

    @property
    def phase(self) -> str:
        return str(self.status.get("phase"))

    @property
    def waiting_on(self) -> str:
        return str(self.status.get("waitingOn") or "")

    @property
    def finished(self) -> bool:
        return self.phase in TERMINAL_PHASES

    def condition(self, kind: str) -> dict[str, Any]:
        return next(c for c in self.status["conditions"] if c["type"] == kind)

    def events(self) -> list[str]:
        """Reasons of every Event emitted so far, oldest first."""
        return [a.reason for d in self.history for a in d.actions if isinstance(a, EmitEvent)]
