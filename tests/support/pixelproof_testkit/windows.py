"""Deciding one step at a time with a perfect router and a ready candidate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pixelproof.api.status import Weights
from pixelproof.engine import (
    CandidateReading,
    Decision,
    Observations,
    RouterReading,
    SetWeights,
    decide,
    parse_spec,
)
from pixelproof.engine.observations import CampaignFreeze


@dataclass
class Drive:
    """A rollout whose router applies every SetWeights at once."""

    spec: dict[str, Any]
    status: dict[str, Any] = field(default_factory=dict)
    router: Weights = field(default_factory=Weights)
    freezes: tuple[CampaignFreeze, ...] = ()
    decisions: list[Decision] = field(default_factory=list)

    def decide(self, now: datetime, **observed: Any) -> Decision:
        observed.setdefault("freezes", self.freezes)
        obs = Observations(
            router=RouterReading(weights=self.router),
            candidate=CandidateReading(ready=True, ready_replicas=1, replicas=1),
            **observed,
        )
        decision = decide(parse_spec(self.spec), self.status, obs, now, name="gen", namespace="ns")
        for action in decision.actions:
            if isinstance(action, SetWeights):
                self.router = action.weights
        self.status = decision.status
        self.decisions.append(decision)
        return decision

    @property
    def candidate(self) -> int:
        return int(self.status.get("weights", {}).get("candidate", 0))

    def reasons(self, decision: Decision | None = None) -> list[str]:
        chosen = decision or self.decisions[-1]
        return [a.reason for a in chosen.actions if hasattr(a, "reason")]
