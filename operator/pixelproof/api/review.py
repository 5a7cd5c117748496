"""The review step: a person looks at the evidence and promotes or aborts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import ApiModel, StatusModel
from .durations import ReviewDeadline, parse_duration

PROMOTE_BY_ANNOTATION = "pixelproof.dev/promote-by"
"""Who gave the promote command, set next to pixelproof.dev/promote by whoever promotes."""


class ReviewMargin(ApiModel):
    """Ask for a review only when a gate is close to its threshold."""

    margin: float = Field(
        gt=0,
        le=1,
        description="Relative distance to a threshold (0.1: within 10% of it) that makes a gate borderline.",
    )


class ReviewStep(ApiModel):
    """Pause for a person, with the last evaluation's evidence sent to the webhook."""

    deadline: ReviewDeadline | None = Field(
        default=None, description="How long to wait for a person; forever when omitted."
    )
    on_deadline: Literal["abort", "promote"] = Field(
        default="abort", description="What happens when the deadline passes without a decision."
    )
    only_when_within: ReviewMargin | None = Field(
        default=None,
        description="Review only borderline rollouts: pass through unless a gate is this close to its threshold.",
    )

    @property
    def deadline_seconds(self) -> float | None:
        return None if self.deadline is None else parse_duration(self.deadline)


class ReviewStatus(StatusModel):
    """The review of the current or last review step."""

    step: int = Field(description="Index of the review step.")
    requested_at: str = Field(description="When the rollout started waiting for a person.")
    deadline_at: str | None = Field(
        default=None, description="When the review step ends on its own (spec onDeadline)."
    )
    borderline: list[str] = Field(
        default_factory=list,
        description="Gates close to their threshold that asked for this review.",
    )
    decision: Literal["promoted", "aborted"] | None = Field(
        default=None, description="How the review ended."
    )
    decided_by: str | None = Field(
        default=None,
        description="Who decided: the promote-by annotation, else the field manager that set the promote annotation, or deadline.",
    )
    decided_at: str | None = Field(default=None, description="When the review ended.")
