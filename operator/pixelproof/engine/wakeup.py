"""When a rollout next needs deciding even if nothing it reads changes.

`decide` is pure: given the same spec, status and observations it decides the same,
except where it compares a time with `now`. After a decision that changed nothing, the
operator may leave the rollout alone until what it read changes, or until the time
returned here. The answer is conservative: whatever is judged from the clock in a way
not modelled here (metric samples, change windows, freezes, replica budgets, the prompt
recorder, a running evaluation's pending deadline) makes it `now`: decide every pass."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pixelproof.api.status import TERMINAL_PHASES

from .observations import Observations
from .spec import ParsedSpec
from .steps.pause import pause_end
from .timefmt import parse_time


def next_wakeup(
    parsed: ParsedSpec, status: Mapping[str, Any], obs: Observations, now: datetime
) -> datetime | None:
    """The earliest time a decision from unchanged inputs could differ from the one that
    produced `status`; None when only a change of its inputs can make it differ."""
    spec = parsed.model
    if spec is None:
        # A stalled decision names the fault and reads no clock.
        return None
    if (
        parsed.gates
        or spec.change_windows is not None
        or obs.freezes
        or spec.traffic.gpu_budget is not None
        or spec.live_traffic is not None
    ):
        return now
    if status.get("phase") in TERMINAL_PHASES:
        return None
    due: list[datetime] = []
    held = parse_time(status.get("holdingSince"))
    if held is not None:
        due.append(held + timedelta(seconds=spec.progress_deadline_seconds))
    steps = spec.steps
    current = status.get("currentStep")
    step = steps[current] if isinstance(current, int) and 0 <= current < len(steps) else None
    if step is not None and step.pause is not None and step.pause.seconds is not None:
        end = pause_end(status.get("stepStartedAt"), step.pause.seconds)
        due.append(now if end is None else end)
    if step is not None and step.review is not None:
        deadline = parse_time((status.get("review") or {}).get("deadlineAt"))
        if deadline is not None:
            due.append(deadline)
    if (status.get("lastEvaluation") or {}).get("state") == "Running":
        due.append(now)
    return min(due) if due else None
