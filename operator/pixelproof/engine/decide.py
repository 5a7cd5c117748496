"""The rollout engine: (spec, status, observations, now) -> (new status, actions).

Pure: no I/O, no clock, no Kubernetes. Every piece of rollout state lives in the
status it returns, so the operator can die at any line and resume exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pixelproof.api.status import TERMINAL_PHASES, RolloutStatus
from pixelproof.api.validation import metadata_errors

from . import lifecycle
from .actions import Action, EmitEvent
from .conditions import with_conditions
from .context import Context
from .event_folding import fold_step_starts
from .observations import Observations
from .recovery import recover
from .seal import read_status, seal
from .spec import ParsedSpec, invalid
from .timefmt import format_time


@dataclass
class Decision:
    status: dict[str, Any]
    actions: list[Action] = field(default_factory=list)


def decide(
    spec: ParsedSpec,
    status: object,
    observations: Observations,
    now: datetime,
    *,
    name: str,
    namespace: str = "default",
) -> Decision:
    """Decide what a rollout does next. Never raises on bad input: a spec or name that
    slipped past the schema yields a Stalled condition with a message; a status the
    operator cannot trust (unreadable, or changed since it sealed it) is rebuilt from the
    router, announced."""
    stamp = format_time(now)
    reading = read_status(status)
    untrusted = reading.trust in ("tampered", "unreadable")
    problem: str | None = None
    reason = spec.reason
    # Job and event names are built from the name; one the API server would refuse would
    # only fail later, at the first evaluation. A bad name is the document's own fault, so
    # it is named before a gate set the spec lists and the cluster lacks.
    meta_errors = metadata_errors({"name": name, "namespace": namespace})
    if spec.model is None and spec.reason == "InvalidSpec":
        problem = spec.problem
    elif meta_errors:
        problem, reason = invalid("metadata", meta_errors), "InvalidSpec"
    elif spec.model is None:
        problem = spec.problem
    if problem is not None:
        prior = reading.model or RolloutStatus()
        decision = _stalled(prior, observations, reason, problem, stamp)
        if untrusted:
            decision.actions.append(EmitEvent("Warning", "StatusUnreadable", reading.problem))
        return decision
    assert spec.model is not None
    ctx = Context(
        spec=spec.model,
        gates=spec.gates,
        status=(reading.model or RolloutStatus()).model_copy(deep=True),
        obs=observations,
        now=now,
        stamp=stamp,
        name=name,
        namespace=namespace,
    )
    if untrusted:
        recover(ctx, reading)
    lifecycle.run(ctx)
    return _finish(ctx)


def _stalled(
    prior: RolloutStatus, obs: Observations, reason: str, message: str, stamp: str
) -> Decision:
    status = prior.model_copy(deep=True)
    status.observed_generation = obs.generation
    status.step_number = status.current_step + 1
    status.message = message
    status.waiting_on = message
    status.conditions = with_conditions(status, reason, stamp)
    seal(status)
    actions: list[Action] = []
    if prior.message != message:
        actions.append(EmitEvent("Warning", reason, message))
    return Decision(status=status.to_wire(), actions=actions)


def _finish(ctx: Context) -> Decision:
    status = ctx.status
    status.observed_generation = ctx.obs.generation
    if not ctx.window_held:
        status.window_hold = None
    status.step_number = min(status.current_step + 1, len(ctx.spec.steps))
    if status.phase not in TERMINAL_PHASES:
        status.waiting_on = ctx.hold
        status.message = _progress_message(ctx)
    status.conditions = with_conditions(status, ctx.stalled_reason, ctx.stamp)
    seal(status)
    unique: list[Action] = []
    for action in ctx.actions:
        if action not in unique:
            unique.append(action)
    return Decision(status=status.to_wire(), actions=fold_step_starts(unique))


def _progress_message(ctx: Context) -> str:
    st = ctx.status
    step = ctx.current_step()
    where = (
        "all steps done"
        if step is None
        else f"step {st.current_step + 1}/{len(ctx.spec.steps)} ({step.describe()})"
    )
    weights = f"stable {st.weights.stable}% / candidate {st.weights.candidate}%"
    waiting = f": waiting on {ctx.hold}" if ctx.hold else ""
    if ctx.window_held and ctx.hold:
        waiting = f": {ctx.hold}"
    return f"{st.phase} at {where}, {weights}{waiting}"
