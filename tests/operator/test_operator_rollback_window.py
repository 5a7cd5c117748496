"""The rollback window with kopf running for real against the local API server: after
two promotions, returning to the first candidate skips its steps; the pod template the
operator reads from the candidate Deployment is part of what was proven."""

from __future__ import annotations

from typing import Any

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import DEPLOYMENTS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import deployment, rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"pause": {"duration": "1s"}}, {"setWeight": 50}]


def roll_out_to(kube: Kube, stable: str, candidate: str, attempt_events: int) -> dict[str, Any]:
    """Point the rollout at this stable and candidate and wait for it to succeed anew."""
    kube.patch(
        f"{ROLLOUTS}/poster-gen",
        {"spec": {"stable": {"deployment": stable}, "candidate": {"deployment": candidate}}},
    )
    wait_for(
        lambda: len([r for r, _ in kube.said("poster-gen") if r == "Succeeded"]) >= attempt_events,
        60,
        f"{candidate} to be promoted",
    )
    status: dict[str, Any] = kube.status("poster-gen")
    assert status["phase"] == "Succeeded"
    return status


def reasons(kube: Kube) -> list[str]:
    return [reason for reason, _ in kube.said("poster-gen")]


def test_returning_to_a_revision_promoted_within_the_window_skips_the_steps(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube, "gatewayAPI")
    kube.create(DEPLOYMENTS, deployment("poster-v3", 0))
    with operator_in_thread(cluster, interval=0.3):
        kube.create(ROLLOUTS, rollout(steps=STEPS, rollbackWindow={"revisions": 2}))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Succeeded", 60, "poster-v2")
        roll_out_to(kube, "poster-v2", "poster-v3", 2)
        assert "StepsSkipped" not in reasons(kube)
        status = roll_out_to(kube, "poster-v3", "poster-v2", 3)
        assert "poster-v2 was promoted at" in status["fastTracked"]
        assert [p["deployment"] for p in status["promotedRevisions"]] == [
            "poster-v2",
            "poster-v3",
        ]
        assert "StepsSkipped" in reasons(kube)
        # A new image under the same Deployment name is a revision nobody proved.
        kube.patch(
            f"{DEPLOYMENTS}/poster-v3",
            {
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "generator", "image": "gen:v3.1"}]}
                    }
                }
            },
        )
        status = roll_out_to(kube, "poster-v2", "poster-v3", 4)
        assert "fastTracked" not in status
    skipped = [r for r, _ in kube.said("poster-gen") if r == "StepsSkipped"]
    assert len(skipped) == 1
