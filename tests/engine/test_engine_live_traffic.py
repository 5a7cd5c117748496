"""Table tests: the prompt recorder and the route's mirror to it, as the engine decides them
for each phase, and live evaluate steps."""

from __future__ import annotations

from typing import Any

import pytest

from pixelproof.api.crd_validation import crd_spec_errors
from pixelproof.api.validation import validate_modelrollout
from pixelproof.engine import (
    RecorderReading,
    RemoveRecorder,
    SetMirror,
    StartEvaluation,
    StartRecorder,
)
from pixelproof.engine.actions import Action
from pixelproof_testkit.engine import make_spec, simulated

LIVE = {"mirrorPercent": 15}
STEPS: list[dict[str, Any]] = [
    {"setWeight": 10},
    {"evaluate": {"source": "live", "count": 40, "minCount": 20}},
    {"setWeight": 100},
]


def _kinds(actions: list[Action], kind: type) -> list[Action]:
    return [a for a in actions if isinstance(a, kind)]


def test_recorder_starts_first_and_the_route_mirrors_once_it_is_ready() -> None:
    world = simulated(make_spec(STEPS, liveTraffic=LIVE), recorder_starts_ready=False)
    first = world.tick()
    assert StartRecorder() in first.actions
    assert not _kinds(first.actions, SetMirror), "no mirror before the recorder answers"
    world.recorder = RecorderReading(exists=True, ready=True)
    second = world.tick()
    assert SetMirror(15) in second.actions
    world.tick()
    assert world.status["mirrorPercent"] == 15
    assert world.status["recorder"] == "http://gen-recorder.ns.svc:8080"
    assert "MirrorChanged" in world.events()


def test_live_evaluation_waits_for_the_mirror_read_back() -> None:
    world = simulated(make_spec(STEPS, liveTraffic=LIVE), apply_mirror=False)
    for _ in range(6):
        world.tick()
    assert world.status["currentStep"] == 1
    assert world.status["waitingOn"] == "route to mirror 15% of requests to gen-recorder"
    assert not world.started_jobs
    world.mirror = 15
    decision = world.tick()
    assert _kinds(decision.actions, StartEvaluation)


@pytest.mark.parametrize(
    ("verdict", "phase"),
    [("Pass", "Succeeded"), ("Fail", "RolledBack")],
    ids=["success", "rollback"],
)
def test_the_end_of_a_rollout_removes_mirror_and_recorder(verdict: Any, phase: str) -> None:
    world = simulated(make_spec(STEPS, liveTraffic=LIVE), evaluation_verdict=verdict)
    world.run()
    assert world.phase == phase
    world.tick()
    assert world.mirror is None
    assert world.recorder == RecorderReading()
    assert world.status.get("mirrorPercent") is None
    assert world.status.get("recorder") is None
    assert "RecorderRemoved" in world.events()


def test_a_mirror_left_on_an_ended_rollout_is_removed() -> None:
    """An operator killed after the status said Succeeded but before the route was written
    finds the mirror on its next decision and removes it."""
    world = simulated(make_spec(STEPS, liveTraffic=LIVE))
    world.run()
    world.tick()
    world.mirror = 15
    world.recorder = RecorderReading(exists=True, ready=True)
    decision = world.tick()
    assert SetMirror(None) in decision.actions
    assert RemoveRecorder() in decision.actions
    assert world.phase == "Succeeded"


def test_rollouts_without_live_traffic_never_touch_a_mirror_or_recorder() -> None:
    world = simulated(make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 100}]))
    world.run()
    actions = [a for d in world.history for a in d.actions]
    assert not [a for a in actions if isinstance(a, SetMirror | StartRecorder | RemoveRecorder)]
    assert "mirrorPercent" not in world.status


@pytest.mark.parametrize("router", ["replicas", "kserve"])
def test_routers_that_cannot_mirror_stall_naming_the_field(router: str) -> None:
    traffic = {
        "replicas": {"replicas": {"totalReplicas": 4}},
        "kserve": {"kserve": {"inferenceService": "gen"}},
    }[router]
    world = simulated(make_spec(STEPS, liveTraffic=LIVE, traffic=traffic))
    world.tick()
    stalled = world.condition("Stalled")
    assert stalled["status"] == "True"
    assert stalled["reason"] == "InvalidSpec"
    assert f"spec.liveTraffic: the {router} router cannot mirror" in stalled["message"]
    assert "spec.liveTraffic.promptLog" in stalled["message"]


def test_a_prompt_log_replaces_mirroring_on_a_router_that_cannot_mirror() -> None:
    log = {"promptLog": {"configMap": {"name": "prompts", "key": "log.jsonl"}}}
    world = simulated(make_spec(STEPS, liveTraffic=log, traffic={"replicas": {"totalReplicas": 4}}))
    world.run()
    assert world.phase == "Succeeded"
    assert world.started_jobs, "the live evaluation ran"
    actions = [a for d in world.history for a in d.actions]
    assert not [a for a in actions if isinstance(a, SetMirror | StartRecorder | RemoveRecorder)]


def _rollout(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": "gen"},
        "spec": spec,
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (make_spec(STEPS), "an evaluate step with source live needs spec.liveTraffic"),
        (
            make_spec(
                [{"evaluate": {"source": "live", "count": 10, "minCount": 11}}], liveTraffic={}
            ),
            "evaluate: minCount must not exceed count",
        ),
        (make_spec(STEPS, liveTraffic={"mirrorPercent": 0}), "liveTraffic.mirrorPercent"),
        (make_spec(STEPS, liveTraffic={"mirrorPercent": 101}), "liveTraffic.mirrorPercent"),
        (
            make_spec(STEPS, liveTraffic={"promptLog": {}}),
            "liveTraffic.promptLog needs exactly one of configMap or url",
        ),
        (
            make_spec(STEPS, liveTraffic={"recorder": {"retention": "10s"}}),
            "liveTraffic.recorder.retention",
        ),
        (
            make_spec(STEPS, liveTraffic={"recorder": {"retention": "1h30m"}}),
            "liveTraffic.recorder.retention",
        ),
    ],
    ids=[
        "live-needs-liveTraffic",
        "minCount",
        "percent-0",
        "percent-101",
        "log",
        "retention",
        "retention-compound",
    ],
)
def test_the_api_server_and_the_models_refuse_the_same_live_specs(
    spec: dict[str, Any], message: str
) -> None:
    ours = validate_modelrollout(_rollout(spec), operator_checks=False)
    theirs = crd_spec_errors(spec)
    assert any(message in e for e in ours), ours
    assert any(message in e for e in theirs), theirs


def test_a_bad_redact_pattern_is_named() -> None:
    spec = make_spec(STEPS, liveTraffic={"recorder": {"redact": ["("]}})
    errors = validate_modelrollout(_rollout(spec))
    assert any(
        "spec.liveTraffic.recorder.redact[0]" in e and "regular expression" in e for e in errors
    )


def test_defaults_are_valid_and_golden_stays_the_default_source() -> None:
    spec = make_spec(STEPS, liveTraffic={})
    assert validate_modelrollout(_rollout(spec)) == []
    assert crd_spec_errors(spec) == []
    world = simulated(make_spec([{"evaluate": {}}]))
    world.tick()
    world.tick()
    assert world.started_jobs
