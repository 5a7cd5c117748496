"""A status the operator did not write, met by the running operator: edited by hand with
`kubectl patch --subresource=status`, or unreadable. Traffic never rises on its word,
and the operator says what it found."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.weight_log import WeightLog

STEPS = [
    {"setWeight": 20},
    {"pause": {}},
    {"setWeight": 50},
    {"pause": {}},
    {"setWeight": 100},
]


def _condition(kube: Kube, kind: str) -> dict[str, Any]:
    conditions = kube.status("poster-gen").get("conditions") or []
    return next((c for c in conditions if c["type"] == kind), {})


def _settle(seconds: float = 3.0) -> None:
    """Several reconciles at the 0.5 s interval: time for a wrong move to show."""
    time.sleep(seconds)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            {"phase": "Succeeded", "currentStep": 5, "weights": {"stable": 0, "candidate": 100}},
            "StatusTampered",
        ),
        ({"currentStep": 4}, "StatusTampered"),
        ({"currentStep": -3}, "StatusUnreadable"),
    ],
)
def test_a_status_edited_by_hand_moves_no_traffic_and_skips_no_gate(
    cluster: LocalCluster, kube: Kube, edit: dict[str, Any], reason: str
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(steps=STEPS))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Paused", 30, "the pause")
        weights = WeightLog(cluster)
        kube.patch(f"{ROLLOUTS}/poster-gen/status", {"status": edit})
        [warning] = [
            e
            for e in kube.wait_for_events("poster-gen", reason, timeout=20)
            if e["reason"] == reason
        ]
        _settle()
        status = kube.status("poster-gen")
        assert max(weights.candidate_weights, default=20) <= 20, weights.states
        assert (status["phase"], status["currentStep"]) == ("Paused", 1)
        assert _condition(kube, "Ready")["status"] == "False"
        recovered = _condition(kube, "StatusRecovered")
        assert (recovered["status"], recovered["reason"]) == ("True", reason)
        assert warning["type"] == "Warning" and "candidate 20%" in warning["message"]
        # The pause still holds until a person promotes, and then the rollout goes on.
        kube.annotate("poster-gen", "pixelproof.dev/promote", "p1")
        wait_for(lambda: kube.status("poster-gen").get("currentStep") == 3, 30, "the second pause")
        assert max(weights.candidate_weights) == 50


@pytest.mark.parametrize(
    "unreadable", ["garbage", {"phase": "Bogus", "currentStep": "x"}, {"attempt": 0}]
)
def test_an_unreadable_status_of_a_finished_rollout_is_announced_and_not_rerun(
    cluster: LocalCluster, kube: Kube, unreadable: Any
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster):
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 50}, {"pause": {"duration": "1s"}}]))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Succeeded", 60, "the success")
        jobs_before = kube.status("poster-gen").get("lastEvaluation")
        weights = WeightLog(cluster)
        kube.patch(f"{ROLLOUTS}/poster-gen/status", {"status": unreadable})
        [warning] = [
            e
            for e in kube.wait_for_events("poster-gen", "StatusUnreadable", timeout=20)
            if e["reason"] == "StatusUnreadable"
        ]
        _settle()
        status = kube.status("poster-gen")
        assert weights.candidate_weights == [], weights.states
        assert status["phase"] == "Succeeded"
        assert status.get("lastEvaluation") == jobs_before
        assert "kept Succeeded" in warning["message"]
        recovered = _condition(kube, "StatusRecovered")
        assert (recovered["status"], recovered["reason"]) == ("True", "StatusUnreadable")
        assert recovered["message"] == warning["message"]
        assert _condition(kube, "Ready")["status"] == "True"
        reasons = [e["reason"] for e in kube.events("poster-gen")]
        assert reasons.count("Succeeded") == 1
