"""Timer ticks of a rollout that has nothing to do cost no decision, and a change to
anything it reads (a Service it needs deleted, its route edited once it finished) is
still acted on at the next tick: the real operator, kopf and all, against the local API
server."""

from __future__ import annotations

from pixelproof.controller.reconcile import Reconciler, ReconcileRecord
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import HTTPROUTES, ROLLOUTS, SERVICES, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace, service
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]


def _candidate_weight(kube: Kube) -> int | None:
    refs = kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["backendRefs"]
    weight = refs[1].get("weight")
    return None if weight is None else int(weight)


def _waiting_on(kube: Kube) -> str:
    return str(kube.status("poster-gen").get("waitingOn"))


def _drift(kube: Kube, candidate: int) -> None:
    refs = [
        {"name": "poster-stable", "port": 80, "weight": 100 - candidate},
        {"name": "poster-candidate", "port": 80, "weight": candidate},
    ]
    kube.patch(f"{HTTPROUTES}/poster-gen", {"spec": {"rules": [{"backendRefs": refs}]}})


def test_quiet_ticks_are_skipped_and_what_changed_under_them_is_acted_on(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    records: list[ReconcileRecord] = []
    reconcilers: list[Reconciler] = []

    def on_ready(reconciler: Reconciler) -> None:
        reconciler.listeners.append(records.append)
        reconcilers.append(reconciler)

    with operator_in_thread(cluster, interval=0.3, on_ready=on_ready):
        quiet = reconcilers[0].quiet
        kube.create(ROLLOUTS, rollout(steps=STEPS))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Paused", 30, "the pause")
        assert _candidate_weight(kube) == 10
        skipped = quiet.skipped
        wait_for(lambda: quiet.skipped >= skipped + 3, 30, "ticks to be skipped")
        decided, skipped = len(records), quiet.skipped
        wait_for(lambda: quiet.skipped >= skipped + 5, 30, "more ticks to be skipped")
        assert len(records) == decided, "a rollout with nothing to do was decided again"

        # Nothing of the rollout changed, but something it reads did.
        kube.delete(f"{SERVICES}/poster-stable")
        wait_for(lambda: "not found" in _waiting_on(kube), 30, "the missing Service noticed")
        # The decision's record reaches listeners after its status write and its Events.
        wait_for(lambda: len(records) > decided, 30, "the decision recorded")
        kube.create(SERVICES, service("poster-stable", {"version": "poster-v1"}))
        wait_for(lambda: "promote" in _waiting_on(kube), 30, "the Service found again")

        kube.annotate("poster-gen", "pixelproof.dev/promote", "p1")
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Succeeded", 30, "success")
        assert _candidate_weight(kube) == 100
        skipped = quiet.skipped
        wait_for(lambda: quiet.skipped >= skipped + 3, 30, "ticks skipped once done")

        _drift(kube, 0)
        wait_for(lambda: _candidate_weight(kube) == 100, 30, "the route restored once done")
        assert kube.status("poster-gen")["phase"] == "Succeeded"
