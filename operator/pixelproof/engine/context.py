"""One decision's working state: the inputs it reads and what it has decided so far."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pixelproof.api.metrics import MetricGate
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.status import RolloutStatus
from pixelproof.api.steps import Step, StepKind, kind_at
from pixelproof.api.verdicts import EvaluationState

from .actions import Action, EmitEvent
from .observations import Observations
from .outcome import Wait


@dataclass
class Context:
    """The parsed spec, a copy of the status the decision rewrites, this decision's
    observations and clock, and the actions (events included) it collects."""

    spec: ModelRolloutSpec
    gates: Mapping[str, MetricGate]
    status: RolloutStatus
    obs: Observations
    now: datetime
    stamp: str
    name: str
    namespace: str
    actions: list[Action] = field(default_factory=list)
    hold: str | None = None
    """What the rollout waits on, once a step or check said so."""
    stalled_reason: str | None = None
    """A blocking problem outside terminal phases, for the Stalled condition."""
    window_held: bool = False
    """A change window or freeze kept traffic from moving forward in this decision."""

    def event(self, kind: Literal["Normal", "Warning"], reason: str, message: str) -> None:
        self.actions.append(EmitEvent(kind, reason, message))

    def hold_on(self, wait: Wait) -> None:
        # A hold that changes its reason keeps its start: the deadline measures how long
        # the rollout has made no progress, whatever it waited on meanwhile.
        self.hold = wait.reason
        if not wait.counts_toward_deadline:
            self.status.holding_since = None
        elif self.status.holding_since is None:
            self.status.holding_since = self.stamp

    def current_step(self) -> Step | None:
        steps = self.spec.steps
        index = self.status.current_step
        return steps[index] if index < len(steps) else None

    def step_kind(self) -> StepKind:
        return kind_at(self.spec.steps, self.status.current_step)

    def current_evaluation_state(self) -> EvaluationState | None:
        """The state of the evaluation run at the current step, if one ran."""
        evaluation = self.status.last_evaluation
        if evaluation is None or evaluation.step != self.status.current_step:
            return None
        return evaluation.state
