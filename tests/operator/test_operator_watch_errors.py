"""The rollouts' watch streams cut with an ERROR event (429, 500, 503, as an API server
under load sends them), and new ones refused for a moment: kopf ends itself when the watcher
of one kind fails, the operator starts it again, and a change made after the cut is acted
on; Events refused meanwhile are still posted once the API server takes them again. The
real operator, kopf and all, against the local API server."""

from __future__ import annotations

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]


def _status(kube: Kube) -> dict:  # type: ignore[type-arg]
    return kube.get(f"{ROLLOUTS}/poster-gen").get("status") or {}


def _faults_active(cluster: LocalCluster) -> bool:
    return bool(cluster.call(cluster.server.faults.describe)["active"])


def test_watches_cut_with_errors_are_opened_again_and_changes_acted_on(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster, interval=0.5):
        kube.create(ROLLOUTS, rollout(steps=STEPS))
        wait_for(lambda: _status(kube).get("phase") == "Paused", 30, "the pause")
        # Only the rollouts' streams: a cut of kopf's own namespace watch would end kopf
        # whatever its watchers do.
        cluster.inject_faults(
            {"watch"}, codes=(429, 500, 503), share=1.0, seconds=3, resources=["modelrollouts"]
        )
        wait_for(lambda: not _faults_active(cluster), 30, "the faults to end")
        kube.patch(
            f"{ROLLOUTS}/poster-gen",
            {"metadata": {"annotations": {"pixelproof.dev/promote": "p1"}}},
        )
        wait_for(lambda: _status(kube).get("phase") == "Succeeded", 60, "the promotion acted on")


def test_events_refused_while_kopf_is_started_again_are_posted_after(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster, interval=0.5) as operator:
        kube.create(ROLLOUTS, rollout(steps=STEPS))
        wait_for(lambda: _status(kube).get("phase") == "Paused", 30, "the pause")
        refused = {"codes": (500, 503), "share": 1.0}
        cluster.inject_faults({"create"}, seconds=120, resources=["events"], **refused)
        kube.patch(
            f"{ROLLOUTS}/poster-gen",
            {"metadata": {"annotations": {"pixelproof.dev/promote": "p1"}}},
        )
        wait_for(lambda: _status(kube).get("phase") == "Succeeded", 60, "the promotion acted on")
        recorder = operator.events
        assert recorder is not None
        # The fifth refusal puts the next try 8 s away; the rollouts' watch is cut then.
        # kopf, as it ends, gives the tasks made while it ran 5 s and cancels the rest:
        # the wait for that try among them.
        wait_for(lambda: recorder.retried >= 5, 30, "the Events to be refused five times")
        cluster.inject_faults(
            {"create", "watch"}, seconds=5, resources=["events", "modelrollouts"], **refused
        )
        wait_for(lambda: not _faults_active(cluster), 30, "the faults to end")
        kube.wait_for_events("poster-gen", "Promoted", "Succeeded", timeout=60)
        assert recorder.pending == 0
