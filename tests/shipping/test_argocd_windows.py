"""Argo CD health while a change window or a freeze holds traffic, in the Lua sandbox."""

from __future__ import annotations

from pathlib import Path

from pixelproof_testkit import argocd_lua as argocd
from pixelproof_testkit.argocd_lua import conditions, rollout

HEALTH = (
    Path(__file__).resolve().parents[2] / "charts" / "pixelproof" / "argocd" / "health.lua"
).read_text()


def test_waiting_for_the_window_is_suspended_with_the_opening() -> None:
    status = {
        "phase": "Progressing",
        "currentStep": 2,
        "weights": {"stable": 90, "candidate": 10},
        "waitingOn": "waiting for the window until 2026-12-01T09:00+01:00 (Europe/Berlin): outside the change windows",
        "windowHold": {
            "reason": "outside the change windows",
            "opensAt": "2026-12-01T08:00:00.000000Z",
        },
        "conditions": conditions("False"),
    }
    result = argocd.health(HEALTH, rollout(status))
    assert result == {
        "status": "Suspended",
        "message": "Waiting for the window until 2026-12-01T08:00:00.000000Z at step 3 "
        "(stable 90%, candidate 10%): outside the change windows",
    }


def test_a_freeze_without_an_end_says_so() -> None:
    status = {
        "phase": "Progressing",
        "windowHold": {"reason": "freeze imagegen/freeze unreadable: data.end: Field required"},
    }
    result = argocd.health(HEALTH, rollout(status))
    assert result["status"] == "Suspended"
    assert result["message"].startswith(
        "Waiting for the window until the freeze is lifted at step 1"
    )


def test_a_rollback_during_a_freeze_is_degraded_not_suspended() -> None:
    status = {
        "phase": "RolledBack",
        "rollbackReason": "metric gate errors failed",
        "windowHold": {"reason": "freeze release"},
    }
    assert argocd.health(HEALTH, rollout(status))["status"] == "Degraded"


def test_a_review_pause_is_suspended() -> None:
    status = {"phase": "Paused", "currentStep": 2, "message": "Paused at step 3/4 (review)"}
    result = argocd.health(HEALTH, rollout(status))
    assert result["status"] == "Suspended" and "review" in result["message"]
