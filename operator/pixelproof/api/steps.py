"""Rollout steps: shift weight, pause, or evaluate the golden set."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import ApiModel
from .durations import PauseDuration, parse_duration
from .review import ReviewStep

StepKind = Literal["setWeight", "pause", "evaluate", "review", "complete"]
"""What the current step does; "complete" once every declared step is done."""


class PauseStep(ApiModel):
    """Without a duration the rollout waits for a person to promote."""

    duration: PauseDuration | None = None
    """How long to wait before the next step (e.g. 10m); without it the rollout waits for `kubectl pixelproof promote`."""

    @property
    def seconds(self) -> float | None:
        return None if self.duration is None else parse_duration(self.duration)


EvaluateSource = Literal["golden", "live"]


class EvaluateStep(ApiModel):
    """Run the evaluator Job against the golden set, or against recorded live prompts, and
    gate on its verdict."""

    source: EvaluateSource = Field(
        default="golden",
        description="golden: the golden set; live: prompts recorded from real traffic (needs spec.liveTraffic), judged by the reference-free gates.",
    )
    count: int = Field(
        default=200,
        ge=1,
        le=10000,
        description="Live prompts replayed on both models (source live).",
    )
    min_count: int = Field(
        default=50,
        ge=1,
        le=10000,
        description="Fewest live prompts a verdict needs; with fewer recorded the run ends inconclusive (source live).",
    )

    tags: list[str] = Field(
        default_factory=list,
        description="Only golden items with one of these tags; all items when empty.",
    )
    max_attempts: int = Field(
        default=1,
        ge=1,
        le=10,
        description="Runs allowed when a run ends inconclusive (no GPU free, image pull error, deadline).",
    )

    @model_validator(mode="after")
    def _counts(self) -> EvaluateStep:
        if self.min_count > self.count:
            raise ValueError(EVALUATE_RULES[0]["message"])
        return self


class Step(ApiModel):
    set_weight: int | None = Field(default=None, ge=0, le=100)
    """Send this percentage of traffic to the candidate, then wait until the router confirms it."""
    pause: PauseStep | None = None
    evaluate: EvaluateStep | None = None
    review: ReviewStep | None = Field(
        default=None, description="Wait for a person to promote or abort, with the evidence sent."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        count = sum(
            x is not None for x in (self.set_weight, self.pause, self.evaluate, self.review)
        )
        if count != 1:
            raise ValueError(STEP_RULES[0]["message"])
        return self

    @property
    def kind(self) -> StepKind:
        if self.set_weight is not None:
            return "setWeight"
        if self.review is not None:
            return "review"
        return "pause" if self.pause is not None else "evaluate"

    def describe(self) -> str:
        if self.set_weight is not None:
            return f"setWeight {self.set_weight}"
        if self.pause is not None:
            return f"pause {self.pause.duration}" if self.pause.duration else "pause until promoted"
        if self.review is not None:
            return "review"
        assert self.evaluate is not None
        return "evaluate live" if self.evaluate.source == "live" else "evaluate"


def kind_at(steps: list[Step], index: int) -> StepKind:
    return steps[index].kind if index < len(steps) else "complete"


STEP_RULES = [
    {
        "rule": "(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.evaluate) ? 1 : 0) + (has(self.review) ? 1 : 0) == 1",
        "message": "a step must have exactly one of setWeight, pause, evaluate, review",
    }
]

EVALUATE_RULES = [
    {
        "rule": "self.minCount <= self.count",
        "message": "evaluate: minCount must not exceed count",
    }
]
