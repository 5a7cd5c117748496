"""An evaluator stand-in for the local cluster's job runner."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary, GateVerdict
from pixelproof.api.verdicts import FinalVerdict
from pixelproof_localcluster import PodOutcome, Terminated


def summary(verdict: FinalVerdict, reason: str = "") -> str:
    """What the real evaluator writes to its termination message."""
    gates = [
        GateVerdict(
            name="lpips",
            verdict=verdict,
            value=0.08 if verdict == "Pass" else 0.41,
            threshold="<= 0.25",
        )
    ]
    return EvaluationSummary(
        verdict=verdict,
        reason=reason or f"evaluation {verdict}",
        gates=gates,
        scores={"lpips.mean": 0.08},
        items=12,
    ).to_termination_message()


class ScriptedEvaluator:
    """Stands in for the evaluator container, which needs a GPU and generator Services that
    cannot run here: each pod ends with the outcome the test chose for its step and attempt
    (default: a passing summary), after `delay` seconds of "evaluating"."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.scripts: dict[int, list[PodOutcome]] = {}
        self.pods: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def script(self, step: int, *outcomes: PodOutcome) -> None:
        """The next runs for `step` end with these outcomes, in order; later runs pass."""
        self.scripts.setdefault(step, []).extend(outcomes)

    async def __call__(self, pod: dict[str, Any], started: Callable[[], None]) -> PodOutcome:
        labels = pod["metadata"].get("labels") or {}
        step = int(labels.get("pixelproof.dev/step", 0))
        with self.lock:
            self.pods.append(pod)
            queued = self.scripts.get(step) or []
            outcome = queued.pop(0) if queued else Terminated(0, message=summary("Pass"))
        if isinstance(outcome, Terminated):
            started()
            await asyncio.sleep(self.delay)
        return outcome
