"""Webhook notifications against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from typing import Any

import pytest

from pixelproof.engine.actions import Notify
from pixelproof.notifications import (
    NotificationError,
    RetryPolicy,
    build_payload,
    send_notification,
    wants_notification,
    webhook_notifier,
)
from pixelproof_testkit.webhooks import FAST, Receiver, secret_reader

STATUS = {
    "phase": "RolledBack",
    "currentStep": 3,
    "weights": {"stable": 100, "candidate": 0},
    "rollbackReason": "gate error-rate: 0.081 above max 0.02 (2 consecutive)",
    "lastEvaluation": {"report": "https://reports.example/imagegen/poster-gen/3/index.html"},
}


def send(url: str, policy: RetryPolicy = FAST, phase: str = "RolledBack") -> bool:
    return asyncio.run(
        send_notification(
            url,
            "poster-gen",
            "imagegen",
            phase,
            "traffic is back on stable",
            STATUS,
            policy=policy,
            rng=random.Random(7),
        )
    )


def test_server_errors_are_retried_until_accepted(receiver: Receiver) -> None:
    receiver.script = [(503, {}, 0.0), (502, {}, 0.0), (200, {}, 0.0)]
    assert send(receiver.url) is True
    assert len(receiver.bodies) == 3
    assert receiver.bodies[0] == receiver.bodies[2]


def test_too_many_requests_waits_as_asked(receiver: Receiver) -> None:
    receiver.script = [(429, {"Retry-After": "1"}, 0.0), (204, {}, 0.0)]
    assert send(receiver.url) is True
    assert len(receiver.times) == 2
    assert receiver.times[1] - receiver.times[0] >= 0.95


@pytest.mark.parametrize("code", [400, 403, 404, 410])
def test_client_errors_are_not_retried(receiver: Receiver, code: int) -> None:
    receiver.script = [(code, {}, 0.0), (200, {}, 0.0)]
    assert send(receiver.url) is False
    assert len(receiver.bodies) == 1


def test_attempts_are_bounded(receiver: Receiver) -> None:
    receiver.script = [(500, {}, 0.0)] * 10
    policy = RetryPolicy(
        max_attempts=3, base_delay=0.01, max_delay=0.02, request_timeout=2.0, deadline=10.0
    )
    assert send(receiver.url, policy) is False
    assert len(receiver.bodies) == 3


def test_overall_deadline_bounds_slow_receivers(receiver: Receiver) -> None:
    receiver.script = [(200, {}, 1.5)] * 10
    policy = RetryPolicy(
        max_attempts=10, base_delay=0.01, max_delay=0.02, request_timeout=0.3, deadline=1.0
    )
    started = time.monotonic()
    assert send(receiver.url, policy) is False
    # No attempt starts after the deadline, and each is cut at the request timeout; the
    # slack is for a loaded machine. The deadline, not the attempt limit, ended it.
    assert time.monotonic() - started < policy.deadline + policy.request_timeout + 1.5
    assert 1 <= len(receiver.bodies) < policy.max_attempts


def test_connection_errors_are_retried_and_never_raise() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    assert send(f"http://127.0.0.1:{port}/closed") is False
    assert time.monotonic() - started < FAST.deadline


def test_a_malformed_url_is_reported_not_raised() -> None:
    assert send("not a url") is False


def test_backoff_grows_exponentially_with_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    rng = random.Random(1)
    for attempt in range(8):
        bound = min(8.0, 0.5 * 2**attempt)
        delays = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8


def test_payload_is_slack_compatible_and_names_the_rollout(receiver: Receiver) -> None:
    assert send(receiver.url) is True
    body = receiver.bodies[0]
    assert "imagegen/poster-gen RolledBack" in body["text"]
    header, summary, details, context = body["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert summary["text"]["text"] == "traffic is back on stable"
    field_text = "\n".join(f["text"] for f in details["fields"])
    assert "gate error-rate: 0.081 above max 0.02" in field_text
    assert "stable 100% / candidate 0%" in field_text
    assert (
        context["elements"][0]["text"]
        == "<https://reports.example/imagegen/poster-gen/3/index.html|Evaluation report>"
    )
    assert body["attachments"][0]["color"] == "#e01e5a"
    assert body["pixelproof"]["phase"] == "RolledBack"


def test_payload_of_a_success_without_report() -> None:
    payload = build_payload(
        "poster-gen",
        "imagegen",
        "Succeeded",
        "all steps passed",
        {"weights": {"stable": 0, "candidate": 100}},
    )
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section"]
    assert "stable 0% / candidate 100%" in json.dumps(payload)
    assert payload["attachments"][0]["color"] == "#2eb67d"


def test_spec_decides_which_phases_notify() -> None:
    assert wants_notification({"webhook": {"url": "https://hooks.example/x"}}, "RolledBack")
    assert not wants_notification(
        {"webhook": {"url": "https://hooks.example/x", "on": ["Failed"]}}, "Succeeded"
    )
    assert not wants_notification({}, "Failed")
    assert not wants_notification(None, "Failed")


def rollout_with(webhook: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "poster-gen", "namespace": "imagegen"},
        "spec": {"notifications": {"webhook": webhook}},
        "status": STATUS,
    }


def test_notifier_sends_to_the_url_from_a_secret(receiver: Receiver) -> None:
    notify = webhook_notifier(secret_reader(receiver.url), FAST)
    rollout = rollout_with({"secretKeyRef": {"name": "rollout-webhook", "key": "url"}})
    asyncio.run(notify(rollout, Notify("RolledBack", "traffic is back on stable")))
    assert [b["pixelproof"]["phase"] for b in receiver.bodies] == ["RolledBack"]


def test_notifier_skips_phases_nobody_asked_for(receiver: Receiver) -> None:
    notify = webhook_notifier(secret_reader(receiver.url), FAST)
    rollout = rollout_with({"url": receiver.url, "on": ["RolledBack"]})
    asyncio.run(notify(rollout, Notify("Succeeded", "all steps passed")))
    assert receiver.bodies == []


def test_notifier_raises_with_the_reason_when_delivery_fails(receiver: Receiver) -> None:
    receiver.script = [(404, {}, 0.0)]
    notify = webhook_notifier(secret_reader(receiver.url), FAST)
    with pytest.raises(NotificationError, match="did not accept the Failed notification"):
        asyncio.run(notify(rollout_with({"url": receiver.url}), Notify("Failed", "deadline")))
    missing_key = rollout_with({"secretKeyRef": {"name": "rollout-webhook", "key": "webhook"}})
    with pytest.raises(NotificationError, match="Secret rollout-webhook has no key 'webhook'"):
        asyncio.run(notify(missing_key, Notify("Failed", "deadline")))
