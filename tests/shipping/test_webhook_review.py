"""The review request sent to a real HTTP server: the evidence and the exact commands."""

from __future__ import annotations

import asyncio
from typing import Any

from pixelproof.engine.actions import Notify
from pixelproof.notifications import webhook_notifier
from pixelproof_testkit.webhooks import FAST, Receiver, secret_reader

STATUS: dict[str, Any] = {
    "phase": "Paused",
    "currentStep": 2,
    "weights": {"stable": 90, "candidate": 10},
    "lastEvaluation": {
        "step": 1,
        "state": "Pass",
        "gates": [
            {"name": "format", "verdict": "Pass", "reason": "all items match"},
            {"name": "lpips", "verdict": "Pass", "value": 0.24, "threshold": "<= 0.25"},
            {
                "name": "typography",
                "verdict": "Pass",
                "value": 0.97,
                "threshold": "passRate >= 0.9",
            },
        ],
        "scores": {"lpipsMean": 0.24, "typographyPassRate": 0.97},
        "report": "https://reports.example/imagegen/poster-gen/2/index.html",
    },
    "review": {
        "step": 2,
        "requestedAt": "2026-12-01T09:00:00.000000Z",
        "deadlineAt": "2026-12-01T13:00:00.000000Z",
        "borderline": ["lpips 0.24 (threshold <= 0.25)"],
    },
}


def test_the_review_request_carries_the_evidence_and_the_commands(receiver: Receiver) -> None:
    notify = webhook_notifier(secret_reader(receiver.url), FAST)
    rollout = {
        "metadata": {"name": "poster-gen", "namespace": "imagegen"},
        # A review goes out even to a webhook that lists only the final phases.
        "spec": {"notifications": {"webhook": {"url": receiver.url, "events": ["Failed"]}}},
        "status": STATUS,
    }
    message = "review at step 3 (borderline: lpips 0.24 (threshold <= 0.25))"
    asyncio.run(notify(rollout, Notify("Review", message)))
    [body] = receiver.bodies
    data = body["pixelproof"]
    assert data["phase"] == "Review" and data["verdict"] == "Pass"
    assert [g["name"] for g in data["worstGates"]] == ["lpips", "typography", "format"]
    assert data["worstGates"][0] == STATUS["lastEvaluation"]["gates"][1]
    assert data["scores"] == {"lpipsMean": 0.24, "typographyPassRate": 0.97}
    assert data["report"] == STATUS["lastEvaluation"]["report"]
    assert data["deadlineAt"] == "2026-12-01T13:00:00.000000Z"
    assert data["borderline"] == ["lpips 0.24 (threshold <= 0.25)"]
    assert data["commands"] == {
        "promote": "kubectl pixelproof promote poster-gen -n imagegen",
        "abort": "kubectl pixelproof abort poster-gen -n imagegen",
    }
    text = "\n".join(
        str(b.get("text", {}).get("text", "")) if isinstance(b.get("text"), dict) else ""
        for b in body["blocks"]
    )
    assert "kubectl pixelproof promote poster-gen -n imagegen" in text
    assert "kubectl pixelproof abort poster-gen -n imagegen" in text
    assert "lpips: 0.24 (threshold <= 0.25, Pass)" in text
    assert body["text"].startswith(":eyes: ModelRollout imagegen/poster-gen waits for a review")
    context = [e["text"] for b in body["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert f"<{STATUS['lastEvaluation']['report']}|Evaluation report>" in context


def test_no_webhook_no_review_request(receiver: Receiver) -> None:
    notify = webhook_notifier(secret_reader(receiver.url), FAST)
    rollout = {
        "metadata": {"name": "poster-gen", "namespace": "imagegen"},
        "spec": {},
        "status": STATUS,
    }
    asyncio.run(notify(rollout, Notify("Review", "review at step 3")))
    assert receiver.bodies == []
