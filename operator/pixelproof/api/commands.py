"""Commands SREs give a rollout without touching spec (GitOps owns spec).

A command is an annotation whose value is a fresh token (a timestamp is enough):
the operator acts on a token once and records it in status.acknowledgedCommands,
so re-running a handler, or the operator restarting, never repeats a command."""

from __future__ import annotations

from typing import Literal

Command = Literal["promote", "promote-full", "abort", "retry"]
COMMANDS: tuple[Command, ...] = ("abort", "retry", "promote-full", "promote")
ANNOTATION_PREFIX = "pixelproof.dev/"


def annotation_for(command: Command) -> str:
    return ANNOTATION_PREFIX + command


def commands_from_annotations(annotations: dict[str, str]) -> dict[Command, str]:
    return {
        c: annotations[annotation_for(c)] for c in COMMANDS if annotations.get(annotation_for(c))
    }
