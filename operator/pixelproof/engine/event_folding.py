"""One Event per moment: a step's start is said by the Event of what the step did, and
what one reconcile did is said by one Normal Event.

A setWeight step that moves traffic, or an evaluate step that starts its Job, would
otherwise post two Events for one moment (StepStarted, then WeightsSet or
EvaluationStarted): one more API request per step for no more information."""

from __future__ import annotations

from collections.abc import Sequence

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


MAX_MESSAGE = 1024
"""The longest Event message posted; a longer one is cut, so a fold stops short of it."""
PART_SEPARATOR = " | "


def one_event_per_decision(
    actions: Sequence[Action], omit: frozenset[str] = frozenset()
) -> list[Action]:
    """`actions` with the Normal Events of one decision, less those of a reason in `omit`,
    made one Event where the last of them was: it takes the last one's reason, and its
    message says each in turn, an earlier one headed by its own reason, a run of one reason
    under one head (steps that moved traffic at once: `WeightsSet: step 3/4: ...; step
    4/4: ...`), and its `said` names the reason of each part. Every Event is an API
    request: a reconcile that starts the candidate's first step, moves its traffic and
    starts its evaluation posts one, not three. Warnings stay Events of their own, since
    alerts and `kubectl get events` filters key on their reasons. A message that would be
    cut at MAX_MESSAGE starts another Event instead."""
    normal = [
        a
        for a in actions
        if isinstance(a, EmitEvent) and a.type == "Normal" and a.reason not in omit
    ]
    folded: list[Action] = []
    for action in actions:
        if normal and action is normal[-1]:
            folded.extend(_joined(normal))
        elif not _normal_event(action):
            folded.append(action)
    return folded


def _normal_event(action: Action) -> bool:
    return isinstance(action, EmitEvent) and action.type == "Normal"


def _joined(events: list[EmitEvent]) -> list[EmitEvent]:
    """The fewest Events that say `events` in turn, none of them longer than MAX_MESSAGE."""
    joined: list[EmitEvent] = []
    parts: list[tuple[str, str]] = []
    for event in events:
        reason, message = event.reason, event.message
        if parts and parts[-1][0] == reason:
            grown = [*parts[:-1], (reason, f"{parts[-1][1]}; {message}")]
        else:
            grown = [*parts, (reason, message)]
        if parts and len(_message(grown)) > MAX_MESSAGE:
            joined.append(_event(parts))
            grown = [(reason, message)]
        parts = grown
    joined.append(_event(parts))
    return joined


def _event(parts: list[tuple[str, str]]) -> EmitEvent:
    reasons = tuple(reason for reason, _ in parts)
    return EmitEvent("Normal", reasons[-1], _message(parts), reasons if len(parts) > 1 else ())


def _message(parts: list[tuple[str, str]]) -> str:
    heads = [f"{reason}: {message}" for reason, message in parts[:-1]]
    return PART_SEPARATOR.join([*heads, parts[-1][1]])
