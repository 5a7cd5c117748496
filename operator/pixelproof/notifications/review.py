"""The review request: what a person needs to promote or abort a rollout from the message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pixelproof.engine.borderline import distance, verdict_limit

REVIEW = "Review"
# Enough to point at the problem without drowning the message.
WORST_ITEMS = 5


def _closeness(gate: Mapping[str, Any]) -> float:
    """Failing first, then the smallest distance from the threshold's number."""
    if gate.get("verdict") != "Pass":
        return -1.0
    value, limit = gate.get("value"), verdict_limit(gate.get("limit"), gate.get("threshold"))
    if value is None or limit is None:
        return float("inf")
    return distance(float(value), limit)


def worst_gates(status: Mapping[str, Any]) -> list[dict[str, Any]]:
    gates = list((status.get("lastEvaluation") or {}).get("gates") or [])
    return sorted(gates, key=_closeness)[:WORST_ITEMS]


def commands(rollout: str, namespace: str) -> list[str]:
    return [
        f"kubectl pixelproof promote {rollout} -n {namespace}",
        f"kubectl pixelproof abort {rollout} -n {namespace}",
    ]


def review_payload(
    rollout: str, namespace: str, message: str, status: Mapping[str, Any]
) -> dict[str, Any]:
    """Slack blocks and the `pixelproof` object carry the same evidence: the verdict, the
    gates closest to failing with their values, the scores, the report and the commands."""
    evaluation = status.get("lastEvaluation") or {}
    verdict = evaluation.get("state") or "no evaluation yet"
    gates = worst_gates(status)
    scores = dict(sorted((evaluation.get("scores") or {}).items()))
    review = status.get("review") or {}
    lines = commands(rollout, namespace)
    title = f"ModelRollout {namespace}/{rollout} waits for a review"
    gate_text = "\n".join(
        f"• {g.get('name')}: {g.get('value')} (threshold {g.get('threshold')}, {g.get('verdict')})"
        for g in gates
    )
    score_text = ", ".join(f"{k} {v:g}" for k, v in list(scores.items())[:10])
    report = evaluation.get("report")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f":eyes: {title}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": message[:3000]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Verdict*\n{verdict}"},
                {"type": "mrkdwn", "text": f"*Deadline*\n{review.get('deadlineAt') or 'none'}"},
            ],
        },
    ]
    if gate_text:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Closest gates*\n{gate_text}"}}
        )
    if score_text:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": score_text}]})
    if report:
        link = (
            f"<{report}|Evaluation report>"
            if report.startswith(("https://", "http://"))
            else f"Evaluation report: `{report}`"
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link}]})
    blocks.append(
        {"type": "section", "text": {"type": "mrkdwn", "text": "```" + "\n".join(lines) + "```"}}
    )
    return {
        "text": f":eyes: {title}: {message}",
        "blocks": blocks,
        "attachments": [{"color": "#ecb22e", "fallback": f"{title}: {message}"}],
        "pixelproof": {
            "rollout": rollout,
            "namespace": namespace,
            "phase": REVIEW,
            "message": message,
            "verdict": verdict,
            "worstGates": gates,
            "scores": scores,
            "report": report,
            "currentStep": status.get("currentStep"),
            "deadlineAt": review.get("deadlineAt"),
            "borderline": review.get("borderline") or [],
            "commands": {"promote": lines[0], "abort": lines[1]},
        },
    }
