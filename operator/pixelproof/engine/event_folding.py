"""One Event per moment: a step's start is said by the Event of what the step did.

A setWeight step that moves traffic, or an evaluate step that starts its Job, would
otherwise post two Events for one moment (StepStarted, then WeightsSet or
EvaluationStarted): one more API request per step for no more information."""

from __future__ import annotations

from .actions import Action, EmitEvent

STEP_STARTED = "StepStarted"


def fold_step_starts(actions: list[Action]) -> list[Action]:
    """`actions` with each StepStarted Event folded into the next Normal Event of the same
    decision, which keeps its reason and takes the step as the head of its message."""
    folded: list[Action] = []
    pending: EmitEvent | None = None
    for action in actions:
        if isinstance(action, EmitEvent) and action.type == "Normal":
            if action.reason == STEP_STARTED:
                # A step that ended without an Event of its own (a pause of no duration)
                # is still said, before the next one starts.
                if pending is not None:
                    folded.append(pending)
                pending = action
                continue
            if pending is not None:
                action = EmitEvent("Normal", action.reason, f"{pending.message}: {action.message}")
                pending = None
        folded.append(action)
    if pending is not None:
        folded.append(pending)
    return folded


WEIGHTS_SET = "WeightsSet"
MAX_MESSAGE = 1024
"""The longest Event message posted; a longer one is cut, so a fold stops short of it."""


def fold_weight_changes(actions: list[Action]) -> list[Action]:
    """`actions` with a run of WeightsSet Events, no other Event between them, made one
    that says each step's weights in turn: traffic moved through those steps at once."""
    folded: list[Action] = []
    run: tuple[int, EmitEvent] | None = None
    for action in actions:
        if isinstance(action, EmitEvent):
            weights = action.type == "Normal" and action.reason == WEIGHTS_SET
            if weights and run is not None:
                joined = f"{run[1].message}; {action.message}"
                if len(joined) <= MAX_MESSAGE:
                    run = (run[0], EmitEvent("Normal", WEIGHTS_SET, joined))
                    folded[run[0]] = run[1]
                    continue
            run = (len(folded), action) if weights else None
        folded.append(action)
    return folded
