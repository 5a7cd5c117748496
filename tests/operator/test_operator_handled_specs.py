"""kopf's record of each rollout's last handled spec lives in the operator, not in an
annotation on the rollout: a spec change is still acted on by kopf's change handler and
nothing else is, a deleted rollout leaves no record behind, and a restarted operator takes
every rollout up as on resuming. The real operator, kopf and all, against the local API
server."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import kopf

from pixelproof.controller.main import Operator
from pixelproof.controller.reconcile import Reconciler
from pixelproof.controller.watches import Watched
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

REACTION = 60
HELD: list[dict[str, Any]] = [{"setWeight": 10}, {"pause": {}}]
CHANGED = {"spec": {"steps": [{"setWeight": 10}, {"setWeight": 100}]}}


class Calls(Counter[str]):
    """The reconciles each Reconciler is asked for: by kopf's change handlers, by ticks."""

    def follow(self, reconciler: Reconciler) -> None:
        reconcile = reconciler.reconcile

        async def counted(namespace: str, name: str, *, tick: bool = False) -> Any:
            self["tick" if tick else "change"] += 1
            return await reconcile(namespace, name, tick=tick)

        reconciler.reconcile = counted  # type: ignore[method-assign]


def _held(kube: Kube) -> bool:
    status = kube.status("poster-gen")
    return status.get("currentStep") == 1 and status.get("weights", {}).get("candidate") == 10


def _kopf_annotations(kube: Kube) -> list[str]:
    annotations = kube.get(f"{ROLLOUTS}/poster-gen")["metadata"].get("annotations") or {}
    return [key for key in annotations if key.startswith("kopf.")]


def _records(op: Operator) -> int:
    return len(op.watched.handled)


def _acted_on_change(kube: Kube, calls: Calls) -> None:
    changes = calls["change"]
    kube.patch(f"{ROLLOUTS}/poster-gen", CHANGED)
    wait_for(lambda: calls["change"] > changes, REACTION, "kopf's change handler to run")
    wait_for(
        lambda: kube.status("poster-gen").get("phase") == "Succeeded",
        REACTION,
        "the changed steps to be acted on",
    )


def test_a_spec_change_is_acted_on_with_the_record_kept_in_the_operator(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube, "gatewayAPI")
    calls = Calls()
    with operator_in_thread(cluster, interval=0.3, on_ready=calls.follow) as op:
        kube.create(ROLLOUTS, rollout(steps=HELD))
        wait_for(lambda: _held(kube), REACTION, "the rollout to hold at its pause")
        assert _kopf_annotations(kube) == []
        assert _records(op) == 1
        # Its own status writes and kopf's ticks are no change of spec: held, the rollout
        # is only ticked.
        changes, ticks = calls["change"], calls["tick"]
        wait_for(lambda: calls["tick"] >= ticks + 3, REACTION, "three more ticks")
        assert calls["change"] == changes, calls

        _acted_on_change(kube, calls)
        assert _kopf_annotations(kube) == []

        kube.delete(f"{ROLLOUTS}/poster-gen")
        wait_for(lambda: _records(op) == 0, REACTION, "the deleted rollout's record to go")


def test_a_restarted_operator_takes_up_a_held_rollout_and_its_next_change(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube, "gatewayAPI")
    with operator_in_thread(cluster, interval=0.3):
        kube.create(ROLLOUTS, rollout(steps=HELD))
        wait_for(lambda: _held(kube), REACTION, "the rollout to hold at its pause")
    calls = Calls()
    with operator_in_thread(cluster, interval=0.3, on_ready=calls.follow) as op:
        wait_for(lambda: _records(op) == 1, REACTION, "the new operator to handle the rollout")
        assert calls["change"] >= 1, calls
        assert _held(kube)
        _acted_on_change(kube, calls)


def test_a_rollout_made_again_under_the_same_name_is_new_to_kopf() -> None:
    handled = Watched().handled
    raw: dict[str, Any] = {"kind": "ModelRollout", "metadata": {"name": "r", "uid": "1"}}
    first = kopf.Body(cast(kopf.RawBody, {**raw, "spec": {}}))
    handled.store(body=first, patch=kopf.Patch(), essence=handled.build(body=first))
    again = kopf.Body(cast(kopf.RawBody, {**raw, "metadata": {"name": "r", "uid": "2"}}))
    assert handled.fetch(body=first) == {"spec": {}}
    assert handled.fetch(body=again) is None
