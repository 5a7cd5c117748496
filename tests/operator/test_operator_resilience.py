"""The operator as a real process: SIGKILLed mid-rollout and restarted, and two replicas
electing one to act through kopf peering."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import HTTPROUTES, JOBS, NS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import EVALUATED_STEPS, rollout, seed_namespace
from pixelproof_testkit.operators import OperatorProcess
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scenario import World, given
from pixelproof_testkit.weight_log import WeightLog


class Assassin:
    """SIGKILLs the operator from inside the API server, right after a write it made was
    stored and before the operator saw the answer: after each new router weight, each Job
    creation, and each step boundary written to status."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.pid: int | None = None
        self.fired: list[str] = []
        self.jobs_created: list[str] = []
        self.lock = threading.Lock()
        cluster.call(cluster.server.store.add_listener, self._on_event)

    def _trigger(self, spec: Any, event: Any) -> str | None:
        obj = event.object
        if spec.plural == "httproutes" and event.type == "MODIFIED":
            return f"weight {obj['spec']['rules'][0]['backendRefs'][1].get('weight')}"
        if spec.plural == "jobs" and event.type == "ADDED":
            self.jobs_created.append(obj["metadata"]["name"])
            return f"job {obj['metadata']['name']}"
        if spec.plural == "modelrollouts" and event.type == "MODIFIED":
            status = obj.get("status") or {}
            return f"step {status.get('currentStep')} {status.get('phase')}"
        return None

    def _on_event(self, spec: Any, event: Any) -> None:
        trigger = self._trigger(spec, event)
        with self.lock:
            if trigger is None or trigger in self.fired or self.pid is None:
                return
            self.fired.append(trigger)
            os.kill(self.pid, signal.SIGKILL)
            self.pid = None


def _normalised(status: dict[str, Any], name: str) -> dict[str, Any]:
    evaluation = status["lastEvaluation"]
    return {
        "phase": status["phase"],
        "currentStep": status["currentStep"],
        "weights": status["weights"],
        "verifiedWeights": status.get("verifiedWeights"),
        "revision": status["revision"],
        "attempt": status["attempt"],
        "evaluation": (
            evaluation["step"],
            evaluation["attempt"],
            evaluation["state"],
            evaluation["job"].replace(name, "NAME", 1),
        ),
        "conditions": {c["type"]: c["status"] for c in status["conditions"]},
    }


def test_sigkill_at_every_step_boundary_changes_nothing(cluster: LocalCluster, kube: Kube) -> None:
    seed_namespace(kube)
    reference = OperatorProcess(cluster).start()
    try:
        kube.create(ROLLOUTS, rollout("reference", steps=EVALUATED_STEPS))
        wait_for(
            lambda: kube.status("reference").get("phase") == "Succeeded",
            60,
            "the uninterrupted rollout",
        )
        expected = _normalised(kube.status("reference"), "reference")
        kube.patch(f"{ROLLOUTS}/reference", {"spec": {"rollback": {"onDelete": "keep"}}})
        kube.delete(f"{ROLLOUTS}/reference")
        wait_for(lambda: kube.get(f"{ROLLOUTS}/reference") is None, 20, "the reference's deletion")
    finally:
        reference.stop()
    kube.patch(
        f"{HTTPROUTES}/poster-gen",
        {
            "spec": {
                "rules": [
                    {
                        "backendRefs": [
                            {"name": "poster-stable", "port": 80, "weight": 100},
                            {"name": "poster-candidate", "port": 80, "weight": 0},
                        ]
                    }
                ]
            }
        },
    )

    weights = WeightLog(cluster, "httproutes")
    assassin = Assassin(cluster)
    kube.create(ROLLOUTS, rollout(steps=EVALUATED_STEPS))
    restarts = 0
    deadline = time.monotonic() + 120
    process = OperatorProcess(cluster)
    while kube.status("poster-gen").get("phase") != "Succeeded":
        assert time.monotonic() < deadline, (
            f"no success after {restarts} restarts: {assassin.fired}"
        )
        if process.proc is None or process.proc.poll() is not None:
            process = OperatorProcess(cluster).start()
            restarts += 1
            assert process.proc is not None
            with assassin.lock:
                assassin.pid = process.proc.pid
        time.sleep(0.05)
    process.stop()

    assert {"weight 10", "weight 50", "weight 100", "step 5 Succeeded"} <= set(assassin.fired)
    assert any(f.startswith("job ") for f in assassin.fired)
    assert restarts >= 6
    assert _normalised(kube.status("poster-gen"), "poster-gen") == expected
    # One Job per evaluate step and attempt, however often the operator died around it.
    assert len(assassin.jobs_created) == 1
    assert [
        j["metadata"]["name"] for j in kube.list(JOBS, "pixelproof.dev/rollout=poster-gen")
    ] == assassin.jobs_created
    # The candidate never had more than a declared step: only declared weights, never one
    # before an earlier one. (A dip back to 0 is allowed: an operator killed before it
    # recorded its first weight finds traffic it has no record of and returns it to stable.)
    seen = [c for _, c in weights.states]
    assert set(seen) <= {0, 10, 50, 100}, seen
    shifted = [c for c in seen if c > 0]
    assert shifted == sorted(shifted) and shifted[0] == 10, seen


def _acted(process: OperatorProcess) -> bool:
    """Whether the process ran a handler on a rollout (kopf logs each one it runs; a tick
    only at DEBUG)."""
    return (
        b"Handler 'reconcile' succeeded" in process.log or b"Timer 'tick' succeeded" in process.log
    )


def test_two_replicas_with_peering_only_one_acts_and_the_other_takes_over(
    cluster: LocalCluster, world: World
) -> None:
    peerings = f"/apis/kopf.dev/v1/namespaces/{NS}/kopfpeerings"
    peering_object = {
        "apiVersion": "kopf.dev/v1",
        "kind": "KopfPeering",
        "metadata": {"name": "pixelproof", "namespace": NS},
    }
    scenario = (
        given(world).namespace().object(peerings, peering_object)
        .rollout(steps=[{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}])
    )  # fmt: skip
    peering = ("--peering", "pixelproof", "--peering-lifetime", "3")
    leader = OperatorProcess(cluster, *peering, "--priority", "100").start()
    # At DEBUG its log has a line for every tick too: it must not act in any way before.
    standby = OperatorProcess(cluster, *peering, "--priority", "50", "--log-level", "DEBUG")
    standby.start()
    try:
        paused = (
            scenario.when(operator=False).then()
            .expect_that(
                "both peers to register",
                lambda: world.kube.get(f"{peerings}/pixelproof").get("status") or {},
                lambda peers: len(peers) == 2,
            )
            .when().apply()
            .then().expect_phase("Paused")
        )  # fmt: skip
        leader.kill()
        assert _acted(leader)
        # The standby takes over and finishes.
        paused.when().promote("p1").then().expect_phase("Succeeded")
    finally:
        leader.stop()
        standby.stop()
    # The standby starts paused and stays so while the leader lives; it acts only after.
    before, _, after = standby.log.partition(b"Resuming operations after the pause")
    assert after, "the standby never resumed"
    assert b"'reconcile' succeeded" not in before and b"'tick' succeeded" not in before
    assert b"Handler 'reconcile' succeeded" in after or b"Timer 'tick' succeeded" in after
