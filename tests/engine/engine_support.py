"""A small driver for engine tests: a world whose readings the test controls."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.status import Weights
from pixelproof.api.verdicts import FinalVerdict
from pixelproof.engine import (
    Action,
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

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_spec(steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "stable": {"deployment": "gen-v1", "service": "gen-stable"},
        "candidate": {"deployment": "gen-v2", "service": "gen-candidate", "replicas": 1},
        "traffic": {"gatewayAPI": {"httpRoute": "gen"}},
        "steps": steps,
    }
    if any("evaluate" in s for s in steps):
        spec["goldenSet"] = {"configMap": {"name": "golden"}}
        spec["evaluator"] = {"image": "registry.example/pixelproof-evaluator:0.1.0"}
    spec.update(extra)
    return spec


def gate(name: str = "errors", **fields: Any) -> dict[str, Any]:
    return {"name": name, "query": "sum(rate(errors[1m]))", "max": 0.05, **fields}


def with_gates(*gates: dict[str, Any]) -> dict[str, Any]:
    return {
        "prometheus": {"address": "http://prometheus:9090"},
        "interval": "10s",
        "gates": list(gates),
    }


@dataclass
class World:
    """Applies SetWeights and ScaleCandidate at once unless told not to."""

    spec: dict[str, Any]
    now: datetime = T0
    status: dict[str, Any] = field(default_factory=dict)
    weights: Weights | None = field(default_factory=Weights)
    router_error: str | None = None
    candidate_replicas: int = 0
    candidate_ready: bool | None = None
    apply_weights: bool = True
    evaluation: EvaluationReading | None = None
    evaluation_outcome: FinalVerdict | None = "Pass"
    metric_values: dict[str, float | None] = field(default_factory=dict)
    metric_errors: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    generation: int = 1
    history: list[Decision] = field(default_factory=list)
    started_jobs: list[str] = field(default_factory=list)

    def observations(self) -> Observations:
        ready = (
            self.candidate_replicas > 0 if self.candidate_ready is None else self.candidate_ready
        )
        metrics = []
        for raw in self.spec.get("metrics", {}).get("gates", []):
            name = raw["name"]
            if name in self.metric_errors:
                metrics.append(MetricSample(gate=name, query="q", error=self.metric_errors[name]))
            elif name in self.metric_values:
                metrics.append(
                    MetricSample(
                        gate=name,
                        query="q",
                        value=self.metric_values[name],
                        stable_query="qs",
                        stable_value=1.0,
                    )
                )
        return Observations(
            generation=self.generation,
            router=RouterReading(weights=self.weights, error=self.router_error),
            candidate=CandidateReading(
                ready=ready,
                ready_replicas=self.candidate_replicas if ready else 0,
                replicas=self.candidate_replicas,
            ),
            evaluation=self.evaluation,
            metrics=tuple(metrics),
            commands=dict(self.commands),  # type: ignore[arg-type]
            problems=self.problems,
        )

    def tick(self, seconds: float = 1.0) -> Decision:
        decision = decide(
            copy.deepcopy(self.spec),
            copy.deepcopy(self.status),
            self.observations(),
            self.now,
            name="gen",
            namespace="ns",
        )
        self.status = decision.status
        self.history.append(decision)
        for action in decision.actions:
            self._apply(action)
        self.now += timedelta(seconds=seconds)
        return decision

    def _apply(self, action: Action) -> None:
        if isinstance(action, SetWeights) and self.apply_weights:
            self.weights = action.weights
        elif isinstance(action, ScaleCandidate):
            self.candidate_replicas = action.replicas
        elif isinstance(action, StartEvaluation):
            self.started_jobs.append(action.job)
            if self.evaluation_outcome is None:
                self.evaluation = EvaluationReading(job=action.job, state="Running")
            else:
                verdict = self.evaluation_outcome
                self.evaluation = EvaluationReading(
                    job=action.job,
                    state=verdict,
                    message=f"evaluation {verdict}",
                    summary=EvaluationSummary(verdict=verdict, reason=f"evaluation {verdict}"),
                )

    def run(self, ticks: int = 100, seconds: float = 1.0) -> dict[str, Any]:
        for _ in range(ticks):
            self.tick(seconds)
            if self.phase in ("Succeeded", "RolledBack", "Failed"):
                break
        return self.status

    @property
    def phase(self) -> str:
        return str(self.status.get("phase"))

    def condition(self, kind: str) -> dict[str, Any]:
        return next(c for c in self.status["conditions"] if c["type"] == kind)

    def events(self) -> list[str]:
        return [
            a.reason for d in self.history for a in d.actions if type(a).__name__ == "EmitEvent"
        ]  # type: ignore[attr-defined]
