"""Gate sets with kopf running for real against the local API server: a missing set
stalls the rollout naming it, and creating, changing or deleting a set reaches the
rollouts that list it through the watch on the sets, long before their next tick."""

from __future__ import annotations

import json
import threading
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import pytest

from pixelproof.api.quality import QualityGates
from pixelproof.kube import ApiError
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import CLUSTERGATESETS, GATESETS, NS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator

# Far longer than any wait below: only the watch on the sets can explain a prompt reaction.
SLOW_TICK = 120.0
REACTION = 60
HELD: list[dict[str, Any]] = [{"setWeight": 10}, {"pause": {}}]
"""Steps that hold the rollout at its first weight once the gates let it start."""


def gate_set(name: str, spec: dict[str, Any], kind: str = "GateSet") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if kind == "GateSet":
        metadata["namespace"] = NS
    return {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    }


def stalled(kube: Kube, name: str = "poster-gen") -> dict[str, Any] | None:
    conditions = kube.status(name).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Stalled"), None)


def stalled_with(kube: Kube, reason: str, text: str) -> bool:
    found = stalled(kube)
    return bool(found and found["status"] == "True" and found["reason"] == reason) and (
        text in (found or {}).get("message", "")
    )


def test_the_rollout_follows_its_gate_set_as_it_appears_changes_and_goes(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube, "gatewayAPI")
    with operator_in_thread(cluster, interval=SLOW_TICK):
        kube.create(ROLLOUTS, rollout(steps=HELD, gateSets=[{"name": "serving"}]))
        wait_for(
            lambda: stalled_with(kube, "MissingDependency", f"GateSet {NS}/serving not found"),
            REACTION,
            "the rollout to stall on the missing set",
        )
        kube.create(GATESETS, gate_set("serving", {"qualityGates": {"lpips": {"maxMean": 0.2}}}))
        wait_for(
            lambda: (stalled(kube) or {}).get("status") == "False",
            REACTION,
            "the rollout to see the set",
        )
        # A set whose metric gates need a Prometheus the rollout does not name.
        gates = [{"name": "errors", "query": "sum(rate(errors[1m]))", "max": 0.05}]
        kube.patch(f"{GATESETS}/serving", {"spec": {"metricGates": gates}})
        wait_for(
            lambda: stalled_with(kube, "InvalidSpec", "metric gates need a metrics provider"),
            REACTION,
            "the rollout to see the changed set",
        )
        assert "GateSet imagegen/serving" in (stalled(kube) or {})["message"]
        kube.delete(f"{GATESETS}/serving")
        wait_for(
            lambda: stalled_with(kube, "MissingDependency", f"GateSet {NS}/serving not found"),
            REACTION,
            "the rollout to see the set go",
        )
    reasons = [e["reason"] for e in kube.events("poster-gen")]
    assert reasons.count("MissingDependency") >= 2 and "InvalidSpec" in reasons


def test_a_set_is_answered_when_its_reconcile_loses_a_race_for_the_status(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    interfere = threading.Event()
    other = Kube(cluster.url)

    def clock() -> datetime:
        # Read once a reconcile has read the rollout, before it writes: another client's
        # status write lands in between, and the reconcile's own write meets a conflict.
        # No handler answers a status change, so only deciding again answers the set.
        if interfere.is_set():
            interfere.clear()
            other.patch(f"{ROLLOUTS}/poster-gen/status", {"status": {"message": "elsewhere"}})
        return datetime.now(UTC)

    with closing(other), operator_in_thread(cluster, interval=SLOW_TICK, clock=clock):
        kube.create(ROLLOUTS, rollout(steps=HELD, gateSets=[{"name": "serving"}]))
        wait_for(
            lambda: stalled_with(kube, "MissingDependency", f"GateSet {NS}/serving not found"),
            REACTION,
            "the rollout to stall on the missing set",
        )
        interfere.set()
        kube.create(GATESETS, gate_set("serving", {"qualityGates": {"lpips": {"maxMean": 0.2}}}))
        wait_for(
            lambda: (stalled(kube) or {}).get("status") == "False",
            REACTION,
            "the rollout to see the set",
        )
    assert not interfere.is_set(), "no reconcile met the other client's write"


def test_every_rollout_listing_a_set_decides_again_though_one_of_them_fails(
    cluster: LocalCluster, kube: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    seed_namespace(kube)
    fail_once = threading.Event()

    def clock() -> datetime:
        # The first reconcile after the set appears meets a transient error of its own.
        if fail_once.is_set():
            fail_once.clear()
            raise OSError("connection reset by peer")
        return datetime.now(UTC)

    names = ["a-gen", "b-gen"]

    def stall_of(name: str) -> dict[str, Any]:
        return stalled(kube, name) or {}

    with operator_in_thread(cluster, interval=SLOW_TICK, clock=clock):
        for name in names:
            kube.create(ROLLOUTS, rollout(name=name, steps=HELD, gateSets=[{"name": "serving"}]))
        wait_for(
            lambda: all(stall_of(n).get("reason") == "MissingDependency" for n in names),
            REACTION,
            "both rollouts to stall on the missing set",
        )
        fail_once.set()
        kube.create(GATESETS, gate_set("serving", {"qualityGates": {"lpips": {"maxMean": 0.2}}}))
        wait_for(
            lambda: [n for n in names if stall_of(n).get("status") == "False"],
            REACTION,
            "the other rollout to see the set",
        )
    assert not fail_once.is_set()
    failed = [n for n in names if stall_of(n).get("status") == "True"]
    assert len(failed) == 1
    assert f"{NS}/{failed[0]}: not decided again on the change of GateSet/{NS}/serving" in (
        caplog.text
    )


def evaluator_gates(evaluator: ScriptedEvaluator) -> dict[str, Any]:
    with evaluator.lock:
        command = evaluator.pods[-1]["spec"]["containers"][0]["command"]
    gates: dict[str, Any] = json.loads(command[command.index("--gates") + 1])
    return gates


def test_the_evaluator_judges_the_merged_gates_of_a_cluster_set_and_the_rollout(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    seed_namespace(kube, "gatewayAPI")
    shared = {"qualityGates": {"lpips": {"maxMean": 0.3}, "ssim": {"minMean": 0.8}}}
    kube.create(CLUSTERGATESETS, gate_set("org-quality", shared, kind="ClusterGateSet"))
    try:
        with operator_in_thread(cluster, interval=0.3):
            kube.create(
                ROLLOUTS,
                rollout(
                    gateSets=[{"name": "org-quality", "kind": "ClusterGateSet"}],
                    qualityGates={"lpips": {"maxMean": 0.1}},
                ),
            )
            wait_for(lambda: evaluator.pods, 60, "the evaluator Job's pod")
            wait_for(
                lambda: kube.status("poster-gen").get("phase") == "Succeeded",
                60,
                "the rollout to succeed",
            )
    finally:
        kube.delete(f"{CLUSTERGATESETS}/org-quality")
    # The rollout's own lpips gate replaces the set's; the set's ssim gate joins it.
    judged = QualityGates.model_validate(evaluator_gates(evaluator))
    assert judged == QualityGates.model_validate(
        {"lpips": {"maxMean": 0.1}, "ssim": {"minMean": 0.8}}
    )


def test_the_api_server_refuses_an_invalid_gate_set(kube: Kube) -> None:
    broken = gate_set("broken", {"metricGates": [{"name": "errors", "max": 1}]})
    with pytest.raises(ApiError, match="a metric gate needs a query or a template"):
        kube.create(GATESETS, broken)
    duplicate = {"name": "errors", "query": "q", "max": 1}
    with pytest.raises(ApiError, match="metric gate names must be unique"):
        kube.create(GATESETS, gate_set("twice", {"metricGates": [duplicate, duplicate]}))
