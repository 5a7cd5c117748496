"""Text views of ModelRollouts: the `get` table and the `status` detail, and the pieces the
demo's live view shows the same way (weights, steps, numbers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .gate_sources import gate_source_lines
from .traffic_policies import traffic_policy_lines


def age(timestamp: str | None, now: datetime) -> str:
    """kubectl's age format: 42s, 7m, 3h, 5d."""
    if not timestamp:
        return "<unknown>"
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = [
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


def weights_text(weights: Mapping[str, Any] | None) -> str:
    if not weights:
        return "-"
    return f"{weights.get('stable', 0)}/{weights.get('candidate', 0)}"


def step_position(obj: Mapping[str, Any]) -> str:
    """The step counting from 1, out of how many: 4/8."""
    status = obj.get("status") or {}
    total = len((obj.get("spec") or {}).get("steps") or [])
    current = status.get("currentStep", 0)
    return f"{min(current + 1, total)}/{total}" if total else str(current + 1)


def stalled_condition(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next(
        (c for c in conditions if c.get("type") == "Stalled" and c.get("status") == "True"), None
    )


def display_phase(obj: Mapping[str, Any]) -> str:
    """The phase, except that a rollout that cannot proceed (an invalid spec, a missing
    Deployment) shows Stalled rather than the Pending or Progressing it is stuck in."""
    phase = str((obj.get("status") or {}).get("phase") or "Pending")
    if phase not in ("Succeeded", "RolledBack", "Failed") and stalled_condition(obj):
        return "Stalled"
    return phase


def _verdict(status: Mapping[str, Any]) -> str:
    evaluation = status.get("lastEvaluation") or {}
    return str(evaluation.get("state") or "-")


def rollout_table(items: Sequence[Mapping[str, Any]], now: datetime, with_namespace: bool) -> str:
    headers = ["NAME", "PHASE", "STEP", "WEIGHTS(S/C)", "LAST VERDICT", "AGE"]
    rows = []
    for obj in items:
        status = obj.get("status") or {}
        meta = obj["metadata"]
        row = [
            meta["name"],
            display_phase(obj),
            step_position(obj),
            weights_text(status.get("weights")),
            _verdict(status),
            age(meta.get("creationTimestamp"), now),
        ]
        rows.append([meta.get("namespace", ""), *row] if with_namespace else row)
    return table(["NAMESPACE", *headers] if with_namespace else headers, rows)


def step_text(step: Mapping[str, Any]) -> str:
    if "setWeight" in step:
        return f"setWeight {step['setWeight']}"
    if "pause" in step:
        duration = (step.get("pause") or {}).get("duration")
        return f"pause {duration}" if duration else "pause until promoted"
    if "evaluate" in step:
        evaluate = step.get("evaluate") or {}
        if evaluate.get("source") == "live":
            return f"evaluate live ({evaluate.get('count', 200)} recorded prompts)"
        tags = evaluate.get("tags") or []
        return "evaluate" + (f" (tags: {', '.join(tags)})" if tags else "")
    return "?"


def mirror_text(spec: Mapping[str, Any], status: Mapping[str, Any]) -> str | None:
    """The route's mirror to the prompt recorder as read back, next to the declared share;
    None for rollouts without spec.liveTraffic."""
    live = spec.get("liveTraffic")
    if live is None:
        return None
    if live.get("promptLog"):
        return "none (prompts come from spec.liveTraffic.promptLog)"
    declared = f"declared {live.get('mirrorPercent', 10)}%"
    percent = status.get("mirrorPercent")
    recorder = status.get("recorder")
    if percent is None:
        return f"none ({declared}" + (f", recorder {recorder})" if recorder else ")")
    if percent == -1:
        return f"rules disagree ({declared})"
    return f"{percent}% of requests to {recorder or 'the prompt recorder'} ({declared})"


def number_text(value: Any, missing: str = "no data") -> str:
    if value is None:
        return missing
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class _Shown:
    """The rollout's own texts (message, rollback reason) as printed, by their label: the
    same reason reaches every condition and often the evaluation, which then point back."""

    # Shorter texts ("within threshold") are not worth pointing back to.
    CONTAINED_MIN = 40

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}

    def first(self, text: str, label: str) -> str:
        self._labels.setdefault(text, label)
        return text

    def once(self, text: str) -> str:
        for shown, label in self._labels.items():
            if text == shown:
                return f"(as {label})"
            if len(text) >= self.CONTAINED_MIN and text in shown:
                return f"(in {label})"
        return text


def status_view(obj: Mapping[str, Any], now: datetime) -> str:
    meta = obj["metadata"]
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    steps = spec.get("steps") or []
    current = status.get("currentStep", 0)
    phase = display_phase(obj)
    stalled = stalled_condition(obj)
    waiting = status.get("waitingOn")
    out = [
        f"Name:        {meta['name']}",
        f"Namespace:   {meta.get('namespace', '')}",
        f"Phase:       {phase}"
        + (f" ({stalled.get('reason')})" if phase == "Stalled" and stalled else "")
        + (f" (waiting on {waiting})" if waiting and waiting != status.get("message") else ""),
    ]
    # The same reason reaches the message, rollbackReason, every condition and often the
    # evaluation: each text is printed once, and later places point back to it.
    shown = _Shown()
    reason = status.get("rollbackReason")
    message = status.get("message")
    if message and message != reason:
        out.append(f"Message:     {shown.first(message, 'Message')}")
    if reason:
        out.append(f"Rolled back: {shown.first(reason, 'Rolled back')}")
    position = f"{min(current + 1, len(steps))}/{len(steps)}"
    if current < len(steps):
        position += f" {step_text(steps[current])}"
    else:
        position += " (all steps done)"
    out.append(f"Step:        {position}")
    declared = status.get("weights") or {"stable": 100, "candidate": 0}
    verified = status.get("verifiedWeights")
    out.append(
        f"Weights:     declared stable {declared.get('stable', 0)} / candidate {declared.get('candidate', 0)}"
    )
    if verified:
        match = "" if verified == declared else "  (differs from declared)"
        out.append(
            f"             verified stable {verified.get('stable', 0)} / candidate {verified.get('candidate', 0)}{match}"
        )
    else:
        out.append("             verified: not read back from the router yet")
    mirror = mirror_text(spec, status)
    if mirror is not None:
        out.append(f"Mirror:      {mirror}")
    out += traffic_policy_lines(spec, status)
    out.append("Steps:")
    for index, step in enumerate(steps):
        marker = "->" if index == current else ("ok" if index < current else "  ")
        out.append(f"  {marker} {index + 1}. {step_text(step)}")
    out += gate_source_lines(spec, status)
    gates = status.get("gates") or []
    out.append("Gates:" if gates else "Gates:       none judged yet")
    if gates:
        rows = [
            [
                g.get("name", ""),
                verdict_text(g, "Pending"),
                number_text(g.get("value")),
                g.get("threshold", ""),
                str(g.get("consecutiveBreaches", 0)),
                age(g.get("lastTime"), now) if g.get("lastTime") else "-",
            ]
            for g in gates
        ]
        out += [
            "  " + line
            for line in table(
                ["GATE", "VERDICT", "VALUE", "THRESHOLD", "BREACHES", "LAST"], rows
            ).splitlines()
        ]
        for g in gates:
            out.append(f"  {g.get('name', '')} query: {g.get('query', '')}")
            if g.get("stableQuery"):
                out.append(
                    f"  {g.get('name', '')} stable query: {g['stableQuery']} = {number_text(g.get('stableValue'))}"
                )
            if g.get("message"):
                out.append(f"  {g.get('name', '')}: {shown.once(g['message'])}")
    evaluation = status.get("lastEvaluation")
    if evaluation:
        out.append("Last evaluation:")
        out.append(
            f"  Job:       {evaluation.get('job', '')} (step {evaluation.get('step', 0) + 1}, attempt {evaluation.get('attempt', 1)})"
        )
        out.append(
            f"  State:     {evaluation.get('state', 'Running')}"
            + (f": {shown.once(evaluation['message'])}" if evaluation.get("message") else "")
        )
        out.append(
            f"  Started:   {evaluation.get('startedAt', '-')} ({age(evaluation.get('startedAt'), now)} ago)"
        )
        if evaluation.get("finishedAt"):
            out.append(f"  Finished:  {evaluation['finishedAt']}")
        if evaluation.get("report"):
            out.append(f"  Report:    {evaluation['report']}")
        verdicts = evaluation.get("gates") or []
        if verdicts:
            rows = [
                [
                    v.get("name", ""),
                    verdict_text(v, ""),
                    number_text(v.get("value")),
                    v.get("threshold") or "",
                    v.get("reason", ""),
                ]
                for v in verdicts
            ]
            out += [
                "  " + line
                for line in table(
                    ["CHECK", "VERDICT", "VALUE", "THRESHOLD", "REASON"], rows
                ).splitlines()
            ]
    else:
        out.append("Last evaluation: none yet")
    conditions = status.get("conditions") or []
    if conditions:
        out.append("Conditions:")
        rows = [
            [
                c.get("type", ""),
                c.get("status", ""),
                c.get("reason", ""),
                age(c.get("lastTransitionTime"), now),
                shown.once(c.get("message", "")),
            ]
            for c in conditions
        ]
        out += [
            "  " + line
            for line in table(["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"], rows).splitlines()
        ]
    return "\n".join(out)


def verdict_text(gate: dict[str, Any], unset: str) -> str:
    """A gate's verdict, marked when the gate is dry-run and so never enforced."""
    verdict = str(gate.get("verdict", unset))
    return f"{verdict} (dry run)" if gate.get("dryRun") else verdict
