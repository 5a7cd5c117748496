"""The route's mirror to the prompt recorder, read back from the local API server with kopf
running for real: present at the declared share while the rollout runs, gone after
success, rollback, deletion, and after the operator is SIGKILLed mid-change. The recorder
Deployment is only reported ready by the emulator's kubelet and the evaluator is scripted
(neither a recorder pod nor a GPU evaluator runs in these tests)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import pytest

from pixelproof_localcluster import LocalCluster, Terminated
from pixelproof_testkit.kube import (
    DEPLOYMENTS,
    HTTPROUTES,
    JOBS,
    ROLLOUTS,
    SERVICES,
    VIRTUALSERVICES,
    Kube,
)
from pixelproof_testkit.manifests import deployment, rollout, seed_namespace
from pixelproof_testkit.operators import OperatorProcess
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scenario import World
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator, summary

RECORDER = "poster-gen-recorder"
LIVE = {"mirrorPercent": 20, "recorder": {"maxCount": 500, "redact": ["[0-9]{16}"]}}
STEPS: list[dict[str, Any]] = [
    {"setWeight": 10},
    {"evaluate": {"source": "live", "count": 30, "minCount": 10}},
    {"pause": {}},
    {"setWeight": 100},
]


def _gateway_mirror(kube: Kube) -> int | None:
    route = kube.get(f"{HTTPROUTES}/poster-gen")
    filters = route["spec"]["rules"][0].get("filters") or []
    ours = [f for f in filters if f["type"] == "RequestMirror"]
    assert len(ours) <= 1, filters
    if not ours:
        return None
    assert ours[0]["requestMirror"]["backendRef"] == {"name": RECORDER, "port": 8080}
    return int(ours[0]["requestMirror"]["percent"])


def _istio_mirror(kube: Kube) -> int | None:
    http = kube.get(f"{VIRTUALSERVICES}/poster-gen")["spec"]["http"][0]
    if "mirror" not in http:
        assert "mirrorPercentage" not in http
        return None
    assert http["mirror"] == {
        "host": f"{RECORDER}.imagegen.svc.cluster.local",
        "port": {"number": 8080},
    }
    return round(http["mirrorPercentage"]["value"])


def _recorder_objects(kube: Kube) -> list[dict[str, Any]]:
    found = [kube.get(f"{DEPLOYMENTS}/{RECORDER}"), kube.get(f"{SERVICES}/{RECORDER}")]
    return [o for o in found if o is not None]


def _stalled(kube: Kube) -> dict[str, Any] | None:
    conditions = kube.status("poster-gen").get("conditions") or []
    return next((c for c in conditions if c["type"] == "Stalled" and c["status"] == "True"), None)


def _phase(kube: Kube, phase: str) -> Any:
    return wait_for(lambda: kube.status("poster-gen").get("phase") == phase, 30, phase)


def _paused_with_mirror(kube: Kube, mirror: Any, percent: int = 20) -> None:
    wait_for(
        lambda: kube.status("poster-gen").get("phase") == "Paused",
        30,
        "the pause after the live evaluation",
    )
    assert mirror(kube) == percent
    assert kube.status("poster-gen")["mirrorPercent"] == percent


@pytest.mark.parametrize(
    ("router", "mirror"), [("gatewayAPI", _gateway_mirror), ("istio", _istio_mirror)]
)
def test_the_route_mirrors_while_running_and_not_after_success(
    world: World, kube: Kube, router: str, mirror: Any
) -> None:
    seed_namespace(kube, router)
    world.start_operator()
    kube.create(ROLLOUTS, rollout(router=router, steps=STEPS, liveTraffic=LIVE))
    _paused_with_mirror(kube, mirror)

    deployment, service = _recorder_objects(kube)
    owner = deployment["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == (
        "ModelRollout",
        "poster-gen",
        True,
    )
    assert service["metadata"]["ownerReferences"][0]["uid"] == owner["uid"]
    command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[3:] == [
        "record", "--port", "8080", "--max-count", "500", "--retention", "1h",
        "--redact", "[0-9]{16}", "--data-dir", "/data",
    ]  # fmt: skip
    job = kube.list(JOBS, "pixelproof.dev/rollout=poster-gen")[0]
    argv = job["spec"]["template"]["spec"]["containers"][0]["command"]
    at = argv.index("--live-source")
    assert argv[at : at + 6] == [
        "--live-source", f"http://{RECORDER}.imagegen.svc:8080/samples",
        "--live-count", "30", "--live-min-count", "10",
    ]  # fmt: skip
    assert "--allow-prompt-text" not in argv

    kube.annotate("poster-gen", "pixelproof.dev/promote", "1")
    _phase(kube, "Succeeded")
    wait_for(lambda: mirror(kube) is None, 15, "the mirror to go")
    wait_for(lambda: not _recorder_objects(kube), 15, "the recorder to go")
    wait_for(
        lambda: "mirrorPercent" not in kube.status("poster-gen"), 15, "the status to read no mirror"
    )
    reasons = {e["reason"] for e in kube.wait_for_events("poster-gen", "RecorderRemoved")}
    assert "MirrorChanged" in reasons


def test_a_rollback_removes_the_mirror(
    world: World, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    seed_namespace(kube)
    evaluator.script(1, Terminated(1, message=summary("Fail", "typography failed on live prompts")))
    world.start_operator()
    kube.create(ROLLOUTS, rollout(steps=STEPS, liveTraffic=LIVE))
    wait_for(lambda: _gateway_mirror(kube) == 20, 30, "the mirror")
    _phase(kube, "RolledBack")
    assert "typography failed on live prompts" in kube.status("poster-gen")["rollbackReason"]
    wait_for(lambda: _gateway_mirror(kube) is None, 15, "the mirror to go")
    wait_for(lambda: not _recorder_objects(kube), 15, "the recorder to go")
    route = kube.get(f"{HTTPROUTES}/poster-gen")
    assert "filters" not in route["spec"]["rules"][0], "the rule reads back as it was applied"


def test_deleting_the_rollout_removes_mirror_and_recorder(world: World, kube: Kube) -> None:
    seed_namespace(kube)
    world.start_operator()
    kube.create(ROLLOUTS, rollout(steps=STEPS, liveTraffic=LIVE))
    _paused_with_mirror(kube, _gateway_mirror)
    kube.delete(f"{ROLLOUTS}/poster-gen")
    wait_for(lambda: kube.get(f"{ROLLOUTS}/poster-gen") is None, 20, "the deletion")
    assert _gateway_mirror(kube) is None
    assert not _recorder_objects(kube)
    refs = kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["backendRefs"]
    assert [r["weight"] for r in refs] == [100, 0]


def test_a_mirror_elsewhere_on_the_rule_is_kept(world: World, kube: Kube) -> None:
    seed_namespace(kube)
    audit = {
        "type": "RequestMirror",
        "requestMirror": {"backendRef": {"name": "audit-log", "port": 80}, "percent": 1},
    }
    rules = kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"]
    rules[0]["filters"] = [audit]
    kube.patch(f"{HTTPROUTES}/poster-gen", {"spec": {"rules": rules}})
    world.start_operator()
    kube.create(ROLLOUTS, rollout(steps=STEPS, liveTraffic=LIVE))
    _paused_with_mirror(kube, lambda k: _ours(k))
    kube.annotate("poster-gen", "pixelproof.dev/promote", "1")
    _phase(kube, "Succeeded")
    wait_for(lambda: _ours(kube) is None, 15, "our mirror to go")
    assert kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["filters"] == [audit]


def _ours(kube: Kube) -> int | None:
    filters = kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0].get("filters") or []
    ours = [f for f in filters if f["requestMirror"]["backendRef"]["name"] == RECORDER]
    return int(ours[0]["requestMirror"]["percent"]) if ours else None


def test_the_replicas_router_stalls_naming_the_field(world: World, kube: Kube) -> None:
    seed_namespace(kube, "replicas")
    world.start_operator()
    kube.create(ROLLOUTS, rollout(router="replicas", steps=STEPS, liveTraffic=LIVE))

    condition = wait_for(lambda: _stalled(kube), 30, "Stalled")
    assert "spec.liveTraffic: the replicas router cannot mirror" in condition["message"]
    assert "spec.liveTraffic.promptLog" in condition["message"]
    assert not _recorder_objects(kube)
    warning = kube.wait_for_events("poster-gen", "InvalidSpec")
    assert any("spec.liveTraffic" in e["message"] for e in warning)


def test_an_object_of_the_recorders_name_is_never_taken_or_deleted(
    world: World, kube: Kube
) -> None:
    seed_namespace(kube)
    theirs = deployment(RECORDER, 1)
    kube.create(DEPLOYMENTS, theirs)
    world.start_operator()
    kube.create(ROLLOUTS, rollout(steps=STEPS, liveTraffic=LIVE))

    condition = wait_for(lambda: _stalled(kube), 30, "Stalled")
    assert condition["reason"] == "MissingDependency"
    assert (
        f"Deployment imagegen/{RECORDER} exists but is not this rollout's prompt recorder"
        in (condition["message"])
    )
    assert _gateway_mirror(kube) is None
    kube.delete(f"{ROLLOUTS}/poster-gen")
    wait_for(lambda: kube.get(f"{ROLLOUTS}/poster-gen") is None, 20, "the deletion")
    kept = kube.get(f"{DEPLOYMENTS}/{RECORDER}")
    assert kept is not None and not kept["metadata"].get("ownerReferences")


class KillAtFullWeight:
    """SIGKILLs the operator from inside the API server right after it stored the route with
    all traffic on the candidate, the mirror still on it, before it recorded that write or
    reached the end of the rollout."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.pid: int | None = None
        self.fired = threading.Event()
        cluster.call(cluster.server.store.add_listener, self._on_event)

    def _on_event(self, spec: Any, event: Any) -> None:
        if spec.plural != "httproutes" or event.type != "MODIFIED" or self.pid is None:
            return
        rule = event.object["spec"]["rules"][0]
        mirrored = any(f.get("type") == "RequestMirror" for f in rule.get("filters") or [])
        if rule["backendRefs"][1].get("weight") == 100 and mirrored:
            os.kill(self.pid, signal.SIGKILL)
            self.pid = None
            self.fired.set()


def test_sigkill_while_mirrored_leaves_no_mirror_after_restart(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    killer = KillAtFullWeight(cluster)
    first = OperatorProcess(cluster).start()
    second = OperatorProcess(cluster)
    try:
        assert first.proc is not None
        killer.pid = first.proc.pid
        kube.create(ROLLOUTS, rollout(steps=STEPS, liveTraffic=LIVE))
        _paused_with_mirror(kube, _gateway_mirror)
        kube.annotate("poster-gen", "pixelproof.dev/promote", "1")
        wait_for(killer.fired.is_set, 30, "the kill at full weight")
        wait_for(lambda: first.proc is not None and first.proc.poll() is not None, 10, "death")
        assert _gateway_mirror(kube) == 20, "the operator died with the mirror still set"
        second.start()
        _phase(kube, "Succeeded")
        wait_for(lambda: _gateway_mirror(kube) is None, 20, "the mirror to go after restart")
        wait_for(lambda: not _recorder_objects(kube), 20, "the recorder to go after restart")
    finally:
        first.stop()
        second.stop()
