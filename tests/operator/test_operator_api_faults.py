"""The operator as its own process under bursts of API faults: 409, 429, 500 and 503 on
reads, watches and writes, watch streams cut. It must stay up, end the rollout as a
clean run does, and post every Event reason a clean run posts."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pixelproof.controller.events import PENDING_PER_ROLLOUT, EventRecorder
from pixelproof.kube import EVENTS, KubeApi, load_connection
from pixelproof_demo.environment import child_environment
from pixelproof_localcluster import LocalCluster
from pixelproof_localcluster.faults import READS, VERBS, WRITES
from pixelproof_testkit.kube import HTTPROUTES, ROLLOUTS, Kube
from pixelproof_testkit.manifests import EVALUATED_STEPS, rollout, seed_namespace
from pixelproof_testkit.operators import OperatorProcess
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.weight_log import WeightLog

FIRST_BURST = 30.0
WRITE_BURST = 10.0
HELD_STEPS = [{"pause": {}} if "pause" in step else step for step in EVALUATED_STEPS]
"""Held at the pause until the test promotes it, so that the promotion's writes meet the
write burst however fast the steps before it went."""
WRITTEN_ON_PROMOTION = ("httproutes", "events")
"""The writes faulted in the write burst: the traffic shift and the Events that promoting
causes. The rollout itself is left out, for the test's own promotion to reach it."""


class LoggedOperatorProcess(OperatorProcess):
    """The operator process with its log in a file: under faults kopf logs every failed
    request, more than a pipe nobody reads until the end can hold."""

    def __init__(self, cluster: LocalCluster, log_path: Path) -> None:
        super().__init__(cluster)
        self.log_path = log_path

    def start(self) -> LoggedOperatorProcess:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.args, env=child_environment(), stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log = self.log_path.read_bytes()


def _reasons(kube: Kube, name: str) -> set[str]:
    return {reason for reason, _ in kube.said(name)}


def _outcome(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "phase": status["phase"],
        "currentStep": status["currentStep"],
        "weights": status["weights"],
        "verifiedWeights": status.get("verifiedWeights"),
        "evaluation": status["lastEvaluation"]["state"],
        "conditions": {c["type"]: c["status"] for c in status["conditions"]},
    }


def _reset_route(kube: Kube) -> None:
    refs = [
        {"name": "poster-stable", "port": 80, "weight": 100},
        {"name": "poster-candidate", "port": 80, "weight": 0},
    ]
    kube.patch(f"{HTTPROUTES}/poster-gen", {"spec": {"rules": [{"backendRefs": refs}]}})


def _clean_run(cluster: LocalCluster, kube: Kube) -> tuple[set[str], dict[str, Any]]:
    operator = OperatorProcess(cluster).start()
    try:
        kube.create(ROLLOUTS, rollout("reference", steps=HELD_STEPS))
        wait_for(lambda: _paused(kube, "reference"), 90, "the clean run's pause")
        kube.annotate("reference", "pixelproof.dev/promote", "at-the-pause")
        wait_for(lambda: kube.status("reference").get("phase") == "Succeeded", 90, "the clean run")
        outcome = _outcome(kube.status("reference"))
        # Events are posted in the background, each rollout's in order: the last one
        # landed, every one did.
        kube.wait_for_events("reference", "Succeeded", timeout=30)
        reasons = _reasons(kube, "reference")
        kube.patch(f"{ROLLOUTS}/reference", {"spec": {"rollback": {"onDelete": "keep"}}})
        kube.delete(f"{ROLLOUTS}/reference")
        wait_for(lambda: kube.get(f"{ROLLOUTS}/reference") is None, 30, "the deletion")
    finally:
        operator.stop()
    return reasons, outcome


def _injected(cluster: LocalCluster) -> Counter[tuple[str, int]]:
    return cluster.call(lambda: Counter(cluster.server.faults.injected))


def test_operator_process_rides_out_api_fault_bursts(
    cluster: LocalCluster, kube: Kube, tmp_path: Path
) -> None:
    seed_namespace(kube)
    clean_reasons, clean_outcome = _clean_run(cluster, kube)
    _reset_route(kube)

    weights = WeightLog(cluster)
    operator = LoggedOperatorProcess(cluster, tmp_path / "operator.log").start()
    exits = 0
    try:
        kube.create(ROLLOUTS, rollout(steps=HELD_STEPS))
        # Faults from when the operator is watching and acting, so that they meet all of it.
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Progressing", 60, "the start")
        cluster.inject_faults(VERBS, share=0.5, seconds=FIRST_BURST)
        exits += _watch_process(operator, FIRST_BURST)
        # Reads succeed again: the rollout goes on to its pause.
        exits += _watch_process(operator, 120, lambda: _paused(kube, "poster-gen"))
        assert _paused(kube, "poster-gen"), "the rollout did not reach its pause after the faults"
        # Every write the promotion causes fails for a while; the operator must get them
        # through once the burst is over.
        cluster.inject_faults(
            WRITES, share=1.0, seconds=WRITE_BURST, resources=WRITTEN_ON_PROMOTION
        )
        kube.annotate("poster-gen", "pixelproof.dev/promote", "after-the-read-faults")
        exits += _watch_process(operator, WRITE_BURST)
        injected = _injected(cluster)
        wait_for(
            lambda: kube.status("poster-gen").get("phase") == "Succeeded",
            180,
            "the rollout to end after the bursts",
        )
        wait_for(
            lambda: clean_reasons <= _reasons(kube, "poster-gen"),
            60,
            f"every Event reason of the clean run: {sorted(clean_reasons)}",
        )
        assert operator.alive()
    finally:
        operator.stop()
    lost = clean_reasons - _reasons(kube, "poster-gen")
    print(
        f"exits {exits}; injected {sum(injected.values())} faults {dict(injected)}; "
        f"lost Event reasons {sorted(lost)}; candidate max {max(weights.candidate_weights)}; "
        f"kopf restarts {operator.log.count(b'starting it again')}"
    )
    assert exits == 0, operator.log[-3000:].decode(errors="replace")
    assert lost == set()
    assert _outcome(kube.status("poster-gen")) == clean_outcome
    assert {verb for verb, _ in injected} & READS and {verb for verb, _ in injected} & WRITES
    # At least one fault kopf does not survive on its own ended it, and it was started again.
    assert operator.log.count(b"starting it again") >= 1
    assert {code for _, code in injected} == {409, 429, 500, 503}
    seen = weights.candidate_weights
    assert set(seen) <= {0, 10, 50, 100}, seen
    shifted = [c for c in seen if c > 0]
    assert shifted == sorted(shifted), seen


def _watch_process(
    operator: LoggedOperatorProcess, seconds: float, done: Callable[[], bool] = lambda: False
) -> int:
    """Exits of the operator process during `seconds`, or until `done()`; each one is
    restarted, as a pod is."""
    exits = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done():
        if not operator.alive():
            exits += 1
            operator.start()
        time.sleep(0.2)
    return exits


def _paused(kube: Kube, name: str) -> bool:
    return kube.status(name).get("phase") == "Paused"


def test_events_refused_by_the_api_server_are_retried_in_order(cluster: LocalCluster) -> None:
    target = {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": "poster-gen", "namespace": "default", "uid": "u1"},
    }

    async def main() -> tuple[list[str], EventRecorder]:
        api = KubeApi(load_connection(str(cluster.kubeconfig_path)))
        recorder = EventRecorder(api)
        task = asyncio.create_task(recorder.run())
        try:
            cluster.inject_faults(["create"], share=1.0, seconds=2.0)
            for n in range(12):
                recorder.post(target, "Normal", f"Reason{n}", f"message {n}")
            await asyncio.sleep(1.0)
            assert recorder.pending == 12
            await recorder.flush(30)
            events = await api.list(EVENTS, "default")
        finally:
            task.cancel()
            await api.close()
        # In the order they were stored: lists come sorted by name, not by age.
        events.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [
            e["reason"] for e in events if e["involvedObject"]["name"] == "poster-gen"
        ], recorder

    reasons, recorder = asyncio.run(main())
    assert reasons == [f"Reason{n}" for n in range(12)]
    assert recorder.retried >= 1 and recorder.dropped == 0 and recorder.pending == 0


def test_the_retry_queue_is_bounded_and_drops_the_oldest(cluster: LocalCluster) -> None:
    target = {"metadata": {"name": "poster-gen", "namespace": "default", "uid": "u1"}}

    async def main() -> EventRecorder:
        api = KubeApi(load_connection(str(cluster.kubeconfig_path)))
        recorder = EventRecorder(api)
        for n in range(PENDING_PER_ROLLOUT + 50):
            recorder.post(target, "Normal", f"Reason{n}", "")
        await api.close()
        return recorder

    recorder = asyncio.run(main())
    assert (recorder.pending, recorder.dropped) == (PENDING_PER_ROLLOUT, 50)
