"""Commands SREs give a rollout without touching spec (GitOps owns spec).

A command is an annotation whose value is a fresh token (a timestamp is enough):
the operator acts on a token once and records it in status.acknowledgedCommands,
so re-running a handler, or the operator restarting, never repeats a command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from .status import TERMINAL_PHASES
from .steps import StepKind

Command = Literal["promote", "promote-full", "abort", "retry"]
COMMANDS: tuple[Command, ...] = ("abort", "retry", "promote-full", "promote")
ANNOTATION_PREFIX = "pixelproof.dev/"
_DECLARED_KINDS: tuple[StepKind, ...] = ("setWeight", "pause", "evaluate", "review")


class Applicability(NamedTuple):
    applies: bool
    reason: str = ""
    """Why the command is ignored; empty when it applies."""


def annotation_for(command: Command) -> str:
    return ANNOTATION_PREFIX + command


def commands_from_annotations(annotations: dict[str, str]) -> dict[Command, str]:
    return {
        c: annotations[annotation_for(c)] for c in COMMANDS if annotations.get(annotation_for(c))
    }


def command_applies(
    phase: str, step: StepKind, command: Command, evaluation: str | None = None
) -> Applicability:
    """Whether the operator acts on the command at this point of the rollout. `evaluation` is
    the state of the current step's evaluation, if one ran: retry reruns an evaluation that
    ended inconclusive (no GPU free, image pull error) and now holds."""
    ended = phase in TERMINAL_PHASES
    if command == "abort" and ended:
        return Applicability(False, f"abort: the rollout already ended ({phase})")
    if command == "promote-full" and ended:
        return Applicability(False, f"promote-full: the rollout already ended ({phase})")
    if command == "promote" and (ended or step not in ("pause", "review")):
        return Applicability(False, "promote: the rollout is not paused")
    restartable = phase in ("RolledBack", "Failed")
    rerunnable = step == "evaluate" and evaluation == "Inconclusive"
    if command == "retry" and not (restartable or rerunnable):
        return Applicability(False, f"retry: nothing to retry in phase {phase}")
    return Applicability(True)


def command_applies_to(rollout: Mapping[str, Any], command: Command) -> Applicability:
    """command_applies for a ModelRollout as read from the API server (wire form)."""
    status = rollout.get("status") or {}
    steps = (rollout.get("spec") or {}).get("steps") or []
    index = int(status.get("currentStep") or 0)
    step: StepKind = "complete"
    if index < len(steps):
        step = next((kind for kind in _DECLARED_KINDS if kind in steps[index]), "complete")
    evaluation = status.get("lastEvaluation") or {}
    state = evaluation.get("state") if evaluation.get("step") == index else None
    return command_applies(status.get("phase") or "Pending", step, command, state)
