"""When a command applies: one rule, shared by the engine and `kubectl pixelproof`."""

from __future__ import annotations

import argparse
import io
import itertools
from typing import Any

import pytest

from pixelproof.api.commands import COMMANDS, Command, command_applies
from pixelproof.api.status import Weights
from pixelproof.api.steps import StepKind
from pixelproof.engine import (
    CandidateReading,
    EmitEvent,
    Observations,
    RouterReading,
    decide,
    parse_spec,
)
from pixelproof.engine.revision import revision_of
from pixelproof.kubectl_plugin.handlers import HANDLERS
from pixelproof.kubectl_plugin.kube import PluginError
from pixelproof_testkit.engine import T0, make_spec

PHASES = ("Pending", "Progressing", "Paused", "Succeeded", "RolledBack", "Failed")
SPEC = make_spec([{"setWeight": 10}, {"pause": {}}, {"evaluate": {}}, {"setWeight": 100}])
STEP_AT: dict[StepKind, int] = {"setWeight": 0, "pause": 1, "evaluate": 2, "complete": 4}
EVALUATIONS = (None, "Running", "Pass", "Fail", "Inconclusive")


def status_at(phase: str, step: StepKind, evaluation: str | None) -> dict[str, Any]:
    parsed = parse_spec(SPEC)
    assert parsed.model is not None
    status: dict[str, Any] = {
        "phase": phase,
        "currentStep": STEP_AT[step],
        "revision": revision_of(parsed.model),
        "observedGeneration": 1,
    }
    if evaluation is not None:
        status["lastEvaluation"] = {
            "step": STEP_AT[step],
            "job": "gen-eval",
            "state": evaluation,
            "startedAt": "2026-03-01T11:00:00Z",
        }
    return status


def engine_ignores(status: dict[str, Any], command: Command) -> str | None:
    """The engine's CommandIgnored message for the command, or None when it acts on it."""
    obs = Observations(
        router=RouterReading(weights=Weights()),
        candidate=CandidateReading(ready=True, ready_replicas=1, replicas=1),
        commands={command: "t1"},
    )
    decision = decide(parse_spec(SPEC), status, obs, T0, name="gen", namespace="ns")
    ignored = [
        a.message
        for a in decision.actions
        if isinstance(a, EmitEvent) and a.reason == "CommandIgnored"
    ]
    assert len(ignored) <= 1
    return ignored[0] if ignored else None


class FakeTarget:
    namespace = "ns"

    def __init__(self, rollout: dict[str, Any]) -> None:
        self.rollout = rollout
        self.annotated: dict[str, str] = {}

    def get(self, name: str) -> dict[str, Any]:
        return self.rollout

    def annotate(self, name: str, annotations: dict[str, str]) -> None:
        self.annotated.update(annotations)


def plugin_refuses(status: dict[str, Any], command: Command) -> str | None:
    """The plugin's error for the command, or None when it sets the annotation."""
    rollout = {"metadata": {"name": "gen", "annotations": {}}, "spec": SPEC, "status": status}
    target = FakeTarget(rollout)
    verb = "promote" if command == "promote-full" else command
    args = argparse.Namespace(name="gen", full=command == "promote-full")
    try:
        HANDLERS[verb](target, args, io.StringIO())  # type: ignore[arg-type]
    except PluginError as exc:
        assert not target.annotated
        return str(exc)
    assert set(target.annotated) == {f"pixelproof.dev/{command}"}
    return None


def test_plugin_refuses_exactly_what_the_engine_ignores_with_its_reason() -> None:
    outcomes: dict[Command, set[bool]] = {c: set() for c in COMMANDS}
    for phase, step, evaluation, command in itertools.product(
        PHASES, STEP_AT, EVALUATIONS, COMMANDS
    ):
        status = status_at(phase, step, evaluation)
        ignored = engine_ignores(status, command)
        refused = plugin_refuses(status, command)
        where = (phase, step, evaluation, command)
        if ignored is None:
            assert refused is None, where
        else:
            assert refused == f"modelrollout ns/gen: {ignored}", where
        outcomes[command].add(ignored is None)
    assert all(seen == {True, False} for seen in outcomes.values()), outcomes


@pytest.mark.parametrize(
    ("phase", "step", "evaluation", "command", "applies", "reason"),
    [
        ("Progressing", "setWeight", None, "abort", True, ""),
        ("Paused", "pause", None, "abort", True, ""),
        (
            "Succeeded",
            "complete",
            None,
            "abort",
            False,
            "abort: the rollout already ended (Succeeded)",
        ),
        (
            "RolledBack",
            "evaluate",
            "Fail",
            "abort",
            False,
            "abort: the rollout already ended (RolledBack)",
        ),
        (
            "Failed",
            "evaluate",
            "Inconclusive",
            "abort",
            False,
            "abort: the rollout already ended (Failed)",
        ),
        ("Paused", "pause", None, "promote", True, ""),
        ("Progressing", "pause", None, "promote", True, ""),
        ("Pending", "pause", None, "promote", True, ""),
        ("Progressing", "setWeight", None, "promote", False, "promote: the rollout is not paused"),
        (
            "Progressing",
            "evaluate",
            "Running",
            "promote",
            False,
            "promote: the rollout is not paused",
        ),
        ("Progressing", "complete", None, "promote", False, "promote: the rollout is not paused"),
        ("RolledBack", "pause", None, "promote", False, "promote: the rollout is not paused"),
        ("Pending", "setWeight", None, "promote-full", True, ""),
        ("Progressing", "evaluate", "Running", "promote-full", True, ""),
        ("Paused", "pause", None, "promote-full", True, ""),
        (
            "Succeeded",
            "complete",
            None,
            "promote-full",
            False,
            "promote-full: the rollout already ended (Succeeded)",
        ),
        (
            "Failed",
            "setWeight",
            None,
            "promote-full",
            False,
            "promote-full: the rollout already ended (Failed)",
        ),
        ("RolledBack", "evaluate", "Fail", "retry", True, ""),
        ("Failed", "pause", None, "retry", True, ""),
        ("Progressing", "evaluate", "Inconclusive", "retry", True, ""),
        (
            "Progressing",
            "evaluate",
            "Running",
            "retry",
            False,
            "retry: nothing to retry in phase Progressing",
        ),
        (
            "Progressing",
            "evaluate",
            None,
            "retry",
            False,
            "retry: nothing to retry in phase Progressing",
        ),
        (
            "Paused",
            "pause",
            "Inconclusive",
            "retry",
            False,
            "retry: nothing to retry in phase Paused",
        ),
        (
            "Succeeded",
            "complete",
            None,
            "retry",
            False,
            "retry: nothing to retry in phase Succeeded",
        ),
    ],
)
def test_each_command_applies_where_its_handler_can_act(
    phase: str, step: StepKind, evaluation: str | None, command: Command, applies: bool, reason: str
) -> None:
    verdict = command_applies(phase, step, command, evaluation)
    assert verdict.applies is applies
    assert verdict.reason == reason
