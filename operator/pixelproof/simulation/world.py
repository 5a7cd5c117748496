"""A simulated world for the engine: a router that applies weights at once, a candidate
that becomes ready, evaluations with a chosen verdict, and one metric with an optional
error spike. It exists to show and measure the engine without a cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary, GateVerdict
from pixelproof.api.metrics import MetricGate
from pixelproof.api.status import Weights
from pixelproof.api.verdicts import FinalVerdict
from pixelproof.engine import (
    CandidateReading,
    Decision,
    EvaluationReading,
    MetricSample,
    Observations,
    RouterReading,
    ScaleCandidate,
    SetWeights,
    StartEvaluation,
    decide,
)
from pixelproof.metrics.catalog import apply_template


@dataclass
class SimulatedWorld:
    spec: dict[str, Any]
    name: str = "simulated"
    evaluation_verdict: FinalVerdict = "Pass"
    error_rate_after_spike: float | None = None
    spike_at_step: int | None = None
    tick_seconds: float = 5.0
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    status: dict[str, Any] = field(default_factory=dict)
    weights: Weights = field(default_factory=Weights)
    candidate_replicas: int = 0
    evaluation: EvaluationReading | None = None
    commands: dict[str, str] = field(default_factory=dict)

    def _metric_samples(self) -> tuple[MetricSample, ...]:
        """Healthy values sit inside each gate's bounds; a spike pushes gates with a max over it."""
        step = int(self.status.get("currentStep", 0))
        spiking = self.spike_at_step is not None and step >= self.spike_at_step
        samples = []
        for raw in self.spec.get("metrics", {}).get("gates", []):
            gate = apply_template(MetricGate.model_validate(raw))
            value = gate.max / 2 if gate.max else (gate.min * 2 if gate.min else 0.0)
            if spiking and gate.max is not None:
                value = gate.max + (self.error_rate_after_spike or 0.3)
            samples.append(
                MetricSample(
                    gate=gate.name, query=f"<simulated {gate.name}>", value=value, stable_value=1.0
                )
            )
        return tuple(samples)

    def observe(self) -> Observations:
        ready = self.candidate_replicas > 0
        return Observations(
            router=RouterReading(weights=self.weights),
            candidate=CandidateReading(
                ready=ready,
                ready_replicas=self.candidate_replicas,
                replicas=self.candidate_replicas,
            ),
            evaluation=self.evaluation,
            metrics=self._metric_samples(),
            commands=dict(self.commands),  # type: ignore[arg-type]
        )

    def apply(self, decision: Decision) -> None:
        self.status = decision.status
        for action in decision.actions:
            if isinstance(action, SetWeights):
                self.weights = action.weights
            elif isinstance(action, ScaleCandidate):
                self.candidate_replicas = action.replicas
            elif isinstance(action, StartEvaluation):
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
                        )
                    ],
                )
                self.evaluation = EvaluationReading(
                    job=action.job,
                    state=self.evaluation_verdict,
                    summary=summary,
                    message=summary.reason,
                )

    def tick(self) -> Decision:
        decision = decide(
            self.spec, self.status, self.observe(), self.now, name=self.name, namespace="default"
        )
        self.apply(decision)
        self.now += timedelta(seconds=self.tick_seconds)
        if self.status.get("phase") == "Paused" and "promotion" in str(
            self.status.get("waitingOn", "")
        ):
            self.commands["promote"] = self.now.isoformat()
        return decision
