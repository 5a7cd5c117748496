"""Slack-compatible webhook notifications: a rollout succeeded, rolled back or failed.

A notification is a courtesy, never a reason to stall a rollout: sending retries a
bounded number of times within an overall time limit, and never raises into the
operator. It retries only what may heal (connection errors, timeouts, 5xx, 429);
any other 4xx means the request itself is wrong and repeating it cannot help."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from .review import REVIEW, review_payload

logger = logging.getLogger(__name__)

PHASE_STYLE: dict[str, tuple[str, str]] = {
    "Succeeded": (":white_check_mark:", "#2eb67d"),
    "RolledBack": (":rewind:", "#e01e5a"),
    "Failed": (":x:", "#e01e5a"),
}
_DEFAULT_STYLE = (":information_source:", "#439fe0")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    request_timeout: float = 10.0
    deadline: float = 30.0
    """Seconds from the first attempt after which no new attempt starts."""

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: a uniform delay up to the exponential bound, so many operators
        notifying after one incident do not hit the receiver in lockstep."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def wants_notification(notifications: Mapping[str, Any] | None, phase: str) -> bool:
    """Whether spec.notifications asks to hear about this phase."""
    webhook = (notifications or {}).get("webhook") or {}
    return bool(webhook) and phase in webhook.get("on", ["Succeeded", "RolledBack", "Failed"])


def _weights_text(status: Mapping[str, Any]) -> str:
    weights = status.get("weights") or {}
    text = f"stable {weights.get('stable', 100)}% / candidate {weights.get('candidate', 0)}%"
    verified = status.get("verifiedWeights")
    if verified and verified != weights:
        text += f" (router reads {verified.get('stable')}% / {verified.get('candidate')}%)"
    return text


def _report_text(status: Mapping[str, Any]) -> str | None:
    report = (status.get("lastEvaluation") or {}).get("report")
    if not report:
        return None
    return (
        f"<{report}|Evaluation report>"
        if report.startswith(("https://", "http://"))
        else f"Evaluation report: `{report}`"
    )


def build_payload(
    rollout: str, namespace: str, phase: str, message: str, status: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Slack message: `text` for clients that show only that, blocks for the rest, and a
    `pixelproof` object for receivers that are not Slack."""
    status = status or {}
    if phase == REVIEW:
        return review_payload(rollout, namespace, message, status)
    emoji, color = PHASE_STYLE.get(phase, _DEFAULT_STYLE)
    reason = status.get("rollbackReason") or status.get("message") or message
    weights = _weights_text(status)
    report = _report_text(status)
    title = f"ModelRollout {namespace}/{rollout} {phase}"
    fields = [
        {"type": "mrkdwn", "text": f"*Rollout*\n{namespace}/{rollout}"},
        {"type": "mrkdwn", "text": f"*Phase*\n{phase}"},
        {"type": "mrkdwn", "text": f"*Reason*\n{reason}"},
        {"type": "mrkdwn", "text": f"*Weights*\n{weights}"},
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{emoji} {title}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": message[:3000] or phase}},
        {"type": "section", "fields": fields},
    ]
    if report:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": report}]})
    return {
        "text": f"{emoji} {title}: {message}",
        "blocks": blocks,
        "attachments": [{"color": color, "fallback": f"{title}: {message}"}],
        "pixelproof": {
            "rollout": rollout,
            "namespace": namespace,
            "phase": phase,
            "message": message,
            "reason": reason,
            "weights": status.get("weights") or {},
            "report": (status.get("lastEvaluation") or {}).get("report"),
            "currentStep": status.get("currentStep"),
        },
    }


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _retryable(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


async def send_notification(
    webhook_url: str,
    rollout: str,
    namespace: str,
    phase: str,
    message: str,
    status: Mapping[str, Any] | None = None,
    *,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
) -> bool:
    """POST the notification; True once the receiver accepted it (2xx). Never raises:
    failures are logged with the rollout's name and end in False."""
    policy = policy or RetryPolicy()
    rng = rng or random.Random()
    where = f"{namespace}/{rollout}"
    try:
        payload = build_payload(rollout, namespace, phase, message, status)
        started = time.monotonic()
        async with httpx.AsyncClient(follow_redirects=False) as client:
            for attempt in range(policy.max_attempts):
                remaining = policy.deadline - (time.monotonic() - started)
                timeout = min(policy.request_timeout, max(remaining, 0.1))
                delay: float | None = None
                try:
                    response = await client.post(webhook_url, json=payload, timeout=timeout)
                except httpx.TransportError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                else:
                    if response.is_success:
                        return True
                    problem = f"HTTP {response.status_code}"
                    if not _retryable(response):
                        logger.warning(
                            "webhook for %s refused the %s notification: %s", where, phase, problem
                        )
                        return False
                    delay = _retry_after(response)
                if delay is None:
                    delay = policy.backoff(attempt, rng)
                elapsed = time.monotonic() - started
                if attempt + 1 >= policy.max_attempts or elapsed + delay >= policy.deadline:
                    logger.warning(
                        "webhook for %s: giving up the %s notification after %d attempt(s) in %.1fs: %s",
                        where,
                        phase,
                        attempt + 1,
                        elapsed,
                        problem,
                    )
                    return False
                await asyncio.sleep(delay)
    except Exception:
        logger.exception("webhook for %s: the %s notification could not be sent", where, phase)
    return False
