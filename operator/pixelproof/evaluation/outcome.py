"""An evaluator Job's outcome, read from the Job and its pod.

The evaluator writes an EvaluationSummary as JSON to its termination message; anything
else is judged from what Kubernetes says about the pod. A pod that cannot start (no GPU
free, an image that cannot be pulled) ends inconclusive once pendingDeadlineSeconds has
passed, so an evaluation never hangs; a crash without a summary is a failure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.engine.observations import EvaluationReading
from pixelproof.engine.timefmt import seconds_since

from .job import CONTAINER

_PULL_ERRORS = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "ErrImageNeverPull",
        "RegistryUnavailable",
    }
)
_MESSAGE_TAIL = 300


def parse_summary(message: str | None) -> EvaluationSummary | None:
    """The summary in a termination message; with FallbackToLogsOnError the message may be a
    log tail instead, so the last line that parses wins."""
    if not message:
        return None
    for candidate in [message.strip(), *reversed(message.strip().splitlines())]:
        if not candidate.startswith("{"):
            continue
        try:
            return EvaluationSummary.model_validate(json.loads(candidate))
        except (ValueError, ValidationError):
            continue
    return None


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return dict(condition)
    return None


def _container_status(pod: dict[str, Any]) -> dict[str, Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for status in statuses:
        if status.get("name") == CONTAINER:
            return dict(status)
    return dict(statuses[0]) if statuses else {}


def _tail(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_TAIL else "..." + text[-_MESSAGE_TAIL:]


def _terminated(job: str, terminated: dict[str, Any]) -> EvaluationReading:
    message = terminated.get("message") or ""
    summary = parse_summary(message)
    exit_code = terminated.get("exitCode")
    reason = terminated.get("reason") or ""
    if summary is not None:
        text = summary.reason or f"verdict {summary.verdict}"
        return EvaluationReading(job=job, state=summary.verdict, message=text, summary=summary)
    if reason == "OOMKilled":
        return EvaluationReading(
            job=job,
            state="Fail",
            message=f"evaluator container was OOMKilled (exit code {exit_code}); "
            "it needs more memory (spec.evaluator.resources.limits.memory)",
        )
    if exit_code not in (0, None):
        detail = f": {_tail(message)}" if message.strip() else ""
        why = f" ({reason})" if reason and reason != "Error" else ""
        return EvaluationReading(
            job=job,
            state="Fail",
            message=f"evaluator exited with code {exit_code}{why} without a summary{detail}",
        )
    return EvaluationReading(
        job=job,
        state="Inconclusive",
        message="evaluator exited 0 without a summary in its termination message",
    )


def _waiting(job: str, pod: dict[str, Any], waited: float, deadline: int) -> EvaluationReading:
    """A pod that has not started: Running until the deadline, then Inconclusive."""
    waiting = (_container_status(pod).get("state") or {}).get("waiting") or {}
    reason = waiting.get("reason") or ""
    if reason in _PULL_ERRORS:
        image = (pod.get("spec") or {}).get("containers", [{}])[0].get("image", "")
        problem = f"evaluator image {image} cannot be pulled: {reason}"
        if waiting.get("message"):
            problem += f": {_tail(waiting['message'])}"
    else:
        scheduled = next(
            (
                c
                for c in (pod.get("status") or {}).get("conditions") or []
                if c.get("type") == "PodScheduled"
            ),
            None,
        )
        if scheduled is not None and scheduled.get("status") == "False":
            problem = (
                f"evaluator pod cannot be scheduled ({scheduled.get('reason') or 'Unschedulable'}"
                f": {scheduled.get('message') or 'no node fits'})"
            )
        else:
            problem = f"evaluator pod {reason or 'Pending'}"
    if waited < deadline:
        return EvaluationReading(job=job, state="Running", message=f"{problem} for {int(waited)}s")
    return EvaluationReading(
        job=job,
        state="Inconclusive",
        message=f"{problem} for {int(waited)}s, past pendingDeadlineSeconds {deadline}",
    )


def read_outcome(
    job: dict[str, Any],
    pods: Sequence[dict[str, Any]],
    *,
    pending_deadline_seconds: int,
    now: datetime,
) -> EvaluationReading:
    name = job["metadata"]["name"]
    deadline_exceeded = _condition(job, "Failed")
    if deadline_exceeded is not None and deadline_exceeded.get("reason") == "DeadlineExceeded":
        limit = (job.get("spec") or {}).get("activeDeadlineSeconds")
        return EvaluationReading(
            job=name,
            state="Inconclusive",
            message=f"evaluator Job ran past activeDeadlineSeconds {limit} and was stopped",
        )
    ordered = sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp") or "")
    pod = ordered[-1] if ordered else None
    if pod is not None:
        state = _container_status(pod).get("state") or {}
        if "terminated" in state:
            return _terminated(name, state["terminated"])
        if "running" in state:
            return EvaluationReading(job=name, state="Running", message="evaluator running")
        waited = seconds_since(pod["metadata"].get("creationTimestamp"), now) or 0.0
        return _waiting(name, pod, waited, pending_deadline_seconds)
    failed = _condition(job, "Failed")
    if failed is not None:
        return EvaluationReading(
            job=name,
            state="Fail",
            message=f"evaluator Job failed ({failed.get('reason')}): {failed.get('message', '')}",
        )
    if _condition(job, "Complete") is not None:
        return EvaluationReading(
            job=name,
            state="Inconclusive",
            message="evaluator Job completed but its pod is gone, and with it the summary",
        )
    waited = seconds_since(job["metadata"].get("creationTimestamp"), now) or 0.0
    if waited < pending_deadline_seconds:
        return EvaluationReading(job=name, state="Running", message="waiting for the evaluator pod")
    return EvaluationReading(
        job=name,
        state="Inconclusive",
        message=f"no evaluator pod was created in {int(waited)}s "
        f"(pendingDeadlineSeconds {pending_deadline_seconds})",
    )


def is_finished(job: dict[str, Any]) -> bool:
    return _condition(job, "Complete") is not None or _condition(job, "Failed") is not None
