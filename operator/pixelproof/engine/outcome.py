"""What running a step (or a check of the lifecycle) comes to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pixelproof.api.status import RollbackCause


@dataclass(frozen=True)
class Advance:
    """The step is done: the rollout moves on to the next one in this same decision."""


@dataclass(frozen=True)
class Wait:
    """The rollout stays where it is. A wait that counts toward the deadline is a hold:
    progressDeadlineSeconds fails the rollout when holds last that long without a break."""

    reason: str
    counts_toward_deadline: bool


@dataclass(frozen=True)
class Stop:
    """The rollout ends: Succeeded, or traffic back on stable for `cause`."""

    phase: Literal["Succeeded", "RolledBack", "Failed"]
    message: str
    cause: RollbackCause | None = None


Outcome = Advance | Wait | Stop
