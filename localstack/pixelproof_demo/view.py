"""What the demo shows of a rollout, read from its object: pure, so the live table and the
plain line output say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pixelproof.api.status import TERMINAL_PHASES
from pixelproof.kubectl_plugin.render import number_text, step_text, weights_text


@dataclass(frozen=True)
class GateView:
    name: str
    value: str
    threshold: str
    verdict: str


@dataclass(frozen=True)
class RolloutView:
    name: str
    phase: str
    step: str
    weights: str
    verified: str
    gates: tuple[GateView, ...]
    evaluation: str
    evaluation_gates: tuple[GateView, ...]
    message: str
    report: str | None
    mirror: str = "-"
    """The route's mirror to the prompt recorder as read back (spec.liveTraffic)."""

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES


def _number(value: Any) -> str:
    return number_text(value, missing="-")


def _step(spec: dict[str, Any], status: dict[str, Any]) -> str:
    steps = spec.get("steps") or []
    index = int(status.get("currentStep") or 0)
    if not steps:
        return "-"
    if index >= len(steps):
        return f"{len(steps)}/{len(steps)} done"
    return f"{index + 1}/{len(steps)} {step_text(steps[index])}"


def _evaluation(evaluation: dict[str, Any] | None) -> str:
    if not evaluation:
        return "-"
    state = str(evaluation.get("state", "-"))
    scores = evaluation.get("scores") or {}
    shown = [
        f"{key} {_number(scores[key])}"
        for key in ("lpipsMean", "typographyPassRate", "failureRate")
        if key in scores
    ]
    return state + (f" ({', '.join(shown)})" if shown else "")


def describe(rollout: dict[str, Any]) -> RolloutView:
    meta = rollout.get("metadata") or {}
    spec = rollout.get("spec") or {}
    status = rollout.get("status") or {}
    evaluation = status.get("lastEvaluation") or {}
    gates = tuple(
        GateView(
            g.get("name", "?"),
            _number(g.get("value")),
            g.get("threshold", ""),
            g.get("verdict", "Pending"),
        )
        for g in status.get("gates") or []
    )
    evaluation_gates = tuple(
        GateView(
            g.get("name", "?"),
            _number(g.get("value")),
            g.get("threshold") or "",
            g.get("verdict", "-"),
        )
        for g in evaluation.get("gates") or []
    )
    return RolloutView(
        name=f"{meta.get('namespace', '')}/{meta.get('name', '')}",
        phase=str(status.get("phase") or "Pending"),
        step=_step(spec, status),
        weights=weights_text(status.get("weights")),
        verified=weights_text(status.get("verifiedWeights")),
        gates=gates,
        evaluation=_evaluation(evaluation),
        evaluation_gates=evaluation_gates,
        message=str(status.get("rollbackReason") or status.get("message") or ""),
        report=evaluation.get("report"),
        mirror=_mirror(spec, status),
    )


def _mirror(spec: dict[str, Any], status: dict[str, Any]) -> str:
    if "liveTraffic" not in spec:
        return "-"
    percent = status.get("mirrorPercent")
    return "none" if percent is None else f"{percent}%"


def failing_gates(view: RolloutView) -> list[GateView]:
    """The gates that failed, metric gates first: what a rollback names."""
    metric = [g for g in view.gates if g.verdict == "Fail"]
    quality = [g for g in view.evaluation_gates if g.verdict == "Fail"]
    return metric + quality


def state_key(view: RolloutView) -> tuple[object, ...]:
    """What changes when the rollout's state does; not a gate's latest value or a countdown."""
    return (
        view.phase,
        view.step,
        view.weights,
        view.verified,
        view.mirror,
        tuple(g.verdict for g in view.gates),
        view.evaluation,
    )


def line(view: RolloutView) -> str:
    """One line for logs and terminals that are not TTYs."""
    gates = " ".join(f"{g.name}={g.value}:{g.verdict}" for g in view.gates) or "-"
    return (
        f"{view.name} phase={view.phase} step={view.step} weights={view.weights} "
        f"verified={view.verified} mirror={view.mirror} gates[{gates}] "
        f"evaluation={view.evaluation} | {view.message}"
    )
