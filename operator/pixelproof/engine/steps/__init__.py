"""Step kinds: each runs its step of the current decision and says what came of it."""

from __future__ import annotations

from collections.abc import Callable

from pixelproof.api.steps import Step, StepKind

from ..context import Context
from ..outcome import Outcome
from .evaluate import evaluate
from .pause import pause
from .review import review
from .set_weight import set_weight

StepRun = Callable[[Context, Step], Outcome]

STEP_KINDS: dict[StepKind, StepRun] = {
    "setWeight": set_weight,
    "pause": pause,
    "evaluate": evaluate,
    "review": review,
}
