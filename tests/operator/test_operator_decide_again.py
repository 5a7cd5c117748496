"""A run of steps that need only the router's word goes through in one reconcile: the
route's weights are read back from what the write stored, the next step is decided at
once, and one status write and one WeightsSet Event say where it went. The real
operator, kopf and all, against the local API server."""

from __future__ import annotations

from pixelproof.controller.reconcile import Reconciler, ReconcileRecord
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import HTTPROUTES, ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"setWeight": 50}, {"setWeight": 100}]


def test_consecutive_set_weight_steps_are_one_decision_and_one_event(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    records: list[ReconcileRecord] = []
    status_writes: list[str] = []

    def observe(method: str, path: str, params: object) -> None:
        if method == "PATCH" and path.endswith("/modelrollouts/poster-gen/status"):
            status_writes.append(path)

    def on_ready(reconciler: Reconciler) -> None:
        reconciler.listeners.append(records.append)

    with operator_in_thread(cluster, interval=1.0, on_ready=on_ready, request_observer=observe):
        kube.create(ROLLOUTS, rollout(steps=STEPS))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Succeeded", 30, "success")
        refs = kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["backendRefs"]
        assert [int(r["weight"]) for r in refs] == [0, 100]
        written = [r for r in records if r.written and r.step_after != r.step_before]
        # The decision that found the candidate ready took all three steps. It may be the
        # first one's second try (its status write lost the race with kopf's finalizer, and
        # by the time it decided again the candidate was up): it starts from no step then.
        last = written[-1]
        assert (last.step_after, last.phase) == (3, "Succeeded"), written
        assert last.step_before in (0, None), written
        weights = wait_for(
            lambda: [m for reason, m in kube.said("poster-gen") if reason == "WeightsSet"] or None,
            10,
            "the WeightsSet Event",
        )
        assert weights == [
            "traffic: stable 90%, candidate 10%; "
            "step 2/3: setWeight 50: traffic: stable 50%, candidate 50%; "
            "step 3/3: setWeight 100: traffic: stable 0%, candidate 100%"
        ]
        # One write when the candidate was scaled up, one for the three steps.
        assert len(status_writes) == 2, status_writes
        # Posted in the background, like every Event: waited for, not read at once.
        kube.wait_for_events("poster-gen", "Succeeded")
