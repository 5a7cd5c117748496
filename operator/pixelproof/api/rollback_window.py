"""The rollback window: returning to a recently promoted revision skips the steps."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import ApiModel, StatusModel
from .durations import WindowAge
from .errors import FieldError

MAX_PROMOTED_HISTORY = 10
"""Promoted revisions the status remembers, newest first; a window counts no further."""


class RollbackWindow(ApiModel):
    """A candidate revision that was fully promoted within the window is already proven:
    rolling out to it again skips the steps and goes straight to full traffic once the
    candidate is ready (metric gates still judge at full traffic before Succeeded)."""

    revisions: int | None = Field(
        default=None,
        ge=1,
        le=MAX_PROMOTED_HISTORY,
        description="How many of the most recently promoted revisions count, the last "
        "promoted one included: 2 lets the rollout return at once to the revision before it.",
    )
    duration: WindowAge | None = Field(
        default=None,
        description="How long ago the revision may have been promoted (1m to 8760h).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> RollbackWindow:
        if self.revisions is None and self.duration is None:
            raise FieldError(ROLLBACK_WINDOW_RULES[0]["message"])
        return self


ROLLBACK_WINDOW_RULES = [
    {
        "rule": "has(self.revisions) || has(self.duration)",
        "message": "rollbackWindow needs revisions or duration",
    }
]


class PromotedRevision(StatusModel):
    """A candidate revision that reached full traffic and succeeded."""

    revision: str
    """Digest of the candidate Deployment's name and pod template and of the generator contract."""
    deployment: str
    """The candidate Deployment it ran in."""
    promoted_at: str
    """When the rollout succeeded with it, RFC 3339."""
