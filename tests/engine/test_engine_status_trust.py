"""A status the operator did not write: edited by hand, or unreadable. The engine detects
it, announces it, and continues from what the router shows, never above it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pixelproof.api.status import RolloutStatus, Weights
from pixelproof.api.steps import Step
from pixelproof.engine import EmitEvent, SetWeights
from pixelproof.engine.recovery import RECOVERED, resume_position
from pixelproof.engine.seal import read_status, seal, status_digest
from pixelproof.simulation.world import SimulatedWorld
from pixelproof_testkit.engine import make_spec, simulated

CRD = Path(__file__).resolve().parents[2] / "crds" / "modelrollouts.pixelproof.dev.yaml"
STEPS = [
    {"setWeight": 20},
    {"pause": {}},
    {"setWeight": 50},
    {"pause": {"duration": "1h"}},
    {"setWeight": 100},
]


def paused_at_20() -> SimulatedWorld:
    world = simulated(make_spec(STEPS), candidate_replicas=1)
    world.run(ticks=5)
    assert (world.phase, world.status["currentStep"], world.weights) == (
        "Paused",
        1,
        Weights(stable=80, candidate=20),
    )
    return world


def candidate_weights_over(world: SimulatedWorld, ticks: int) -> list[int]:
    seen = []
    for _ in range(ticks):
        decision = world.tick()
        seen += [a.weights.candidate for a in decision.actions if isinstance(a, SetWeights)]
        assert world.weights is not None
        seen.append(world.weights.candidate)
    return seen


def warnings(world: SimulatedWorld, reason: str) -> list[EmitEvent]:
    return [
        a
        for d in world.history
        for a in d.actions
        if isinstance(a, EmitEvent) and a.type == "Warning" and a.reason == reason
    ]


@pytest.mark.parametrize(
    "edit",
    [
        {"phase": "Succeeded", "currentStep": 5, "weights": {"stable": 0, "candidate": 100}},
        {"currentStep": 4},
        {"currentStep": 2, "weights": {"stable": 50, "candidate": 50}},
        {"promotedStep": 1},
        {"stepStartedAt": "2000-01-01T00:00:00.000000Z", "currentStep": 3},
    ],
)
def test_a_hand_edited_status_never_raises_traffic_or_skips_a_step(edit: dict[str, Any]) -> None:
    world = paused_at_20()
    world.status = {**world.status, **edit}
    weights = candidate_weights_over(world, ticks=10)
    assert max(weights) == 20, weights
    assert (world.phase, world.status["currentStep"]) == ("Paused", 1)
    assert world.condition("Ready")["status"] == "False"
    [warning] = warnings(world, "StatusTampered")
    assert "router shows candidate 20%" in warning.message
    recovered = world.condition(RECOVERED)
    assert (recovered["status"], recovered["reason"]) == ("True", "StatusTampered")
    # The pause still waits for a person, and a promotion still moves on from it.
    world.commands["promote"] = "p1"
    world.run(ticks=3)
    assert world.status["currentStep"] == 3
    assert world.weights == Weights(stable=50, candidate=50)


def test_a_negative_step_is_unreadable_not_a_list_index() -> None:
    world = paused_at_20()
    world.status = {**world.status, "currentStep": -3}
    weights = candidate_weights_over(world, ticks=5)
    assert max(weights) == 20
    assert (world.phase, world.status["currentStep"]) == ("Paused", 1)
    [warning] = warnings(world, "StatusUnreadable")
    assert "currentStep" in warning.message
    assert world.condition(RECOVERED)["reason"] == "StatusUnreadable"


def test_the_crd_refuses_a_negative_step_and_weights_out_of_range() -> None:
    crd = yaml.safe_load(CRD.read_text())
    status = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert status["properties"]["currentStep"]["minimum"] == 0
    assert status["properties"]["attempt"]["minimum"] == 1
    weights = status["properties"]["weights"]["properties"]
    assert (weights["candidate"]["minimum"], weights["candidate"]["maximum"]) == (0, 100)


def test_removed_acknowledgements_do_not_replay_a_promotion() -> None:
    world = paused_at_20()
    world.commands["promote"] = "p1"
    world.run(ticks=3)
    assert (world.status["currentStep"], world.phase) == (3, "Paused")
    world.status = {**world.status, "acknowledgedCommands": {}, "currentStep": 4}
    weights = candidate_weights_over(world, ticks=5)
    assert max(weights) == 50
    assert (world.status["currentStep"], world.phase) == (3, "Paused")
    assert world.status["acknowledgedCommands"]["promote"] == "p1"


def test_a_claimed_rollback_is_kept_since_it_only_lowers_traffic() -> None:
    world = paused_at_20()
    world.status = {**world.status, "phase": "RolledBack"}
    world.run(ticks=3)
    assert world.phase == "RolledBack"
    assert world.weights == Weights()
    assert warnings(world, "StatusTampered")


def succeeded() -> SimulatedWorld:
    spec = make_spec([{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 50}, {"pause": {}}])
    world = simulated(spec, candidate_replicas=1, auto_promote=True)
    world.run()
    assert world.phase == "Succeeded" and world.weights == Weights(stable=0, candidate=100)
    return world


@pytest.mark.parametrize(
    "unreadable",
    [
        "garbage",
        ["a", "list"],
        {"phase": "Bogus", "currentStep": "x"},
        {"phase": "Succeeded", "weights": {"stable": "all"}},
    ],
)
def test_an_unreadable_status_of_a_finished_rollout_keeps_it_finished(unreadable: Any) -> None:
    world = succeeded()
    revision = world.status["revision"]
    jobs = list(world.started_jobs)
    world.status = (
        {**unreadable, "revision": revision} if isinstance(unreadable, dict) else unreadable
    )
    weights = candidate_weights_over(world, ticks=10)
    assert set(weights) == {100}, weights
    assert world.phase == "Succeeded"
    assert world.started_jobs == jobs
    assert not any(isinstance(a, SetWeights) for d in world.history[-10:] for a in d.actions)
    [warning] = warnings(world, "StatusUnreadable")
    assert "kept Succeeded" in warning.message
    assert world.events().count("Succeeded") == 1
    # The notice outlives the decision that made it.
    recovered = world.condition(RECOVERED)
    assert (recovered["status"], recovered["reason"]) == ("True", "StatusUnreadable")
    assert recovered["message"] == warning.message


def test_an_unreadable_status_mid_rollout_resumes_at_the_routers_weight() -> None:
    world = simulated(make_spec(STEPS), candidate_replicas=1, auto_promote=True)
    while world.weights != Weights(stable=50, candidate=50):
        world.tick()
    world.status = {"currentStep": "three"}
    world.tick()
    assert world.status["currentStep"] == 3
    assert world.weights == Weights(stable=50, candidate=50)
    world.run(seconds=600)
    assert world.phase == "Succeeded"


def test_a_status_from_another_candidate_starts_over_from_stable() -> None:
    world = paused_at_20()
    world.status = {**world.status, "revision": "0123456789", "currentStep": 3}
    world.run(ticks=3)
    assert "CandidateChanged" in world.events()
    assert world.weights is not None and world.weights.candidate <= 20


def test_the_operators_own_statuses_are_sealed_and_trusted() -> None:
    world = succeeded()
    assert all(read_status(d.status).trust == "sealed" for d in world.history)
    assert "StatusTampered" not in world.events()
    assert all(c["type"] != RECOVERED for c in world.status["conditions"])


def test_a_status_written_before_seals_is_trusted() -> None:
    world = paused_at_20()
    world.status = {k: v for k, v in world.status.items() if k != "digest"}
    world.commands["promote"] = "p1"
    world.run(ticks=3)
    assert world.status["currentStep"] == 3
    assert "StatusTampered" not in world.events()


def test_the_seal_ignores_what_every_decision_rewrites_and_survives_normalisation() -> None:
    status = RolloutStatus(phase="Paused", current_step=1, weights=Weights(stable=80, candidate=20))
    seal(status)
    wire = status.to_wire()
    assert read_status({**wire, "message": "edited", "conditions": []}).trust == "sealed"
    assert read_status({**wire, "phase": "Progressing"}).trust == "tampered"
    # The API server fills in schema defaults the operator left out.
    assert read_status({**wire, "promotedStep": None, "gates": []}).trust == "sealed"
    assert status_digest(RolloutStatus.model_validate(wire)) == status.digest


@pytest.mark.parametrize(
    ("weights", "shown", "position"),
    [
        ([10, None, 50, None], 0, None),
        ([10, None, 50, None], 5, None),
        ([10, None, 50, None], 10, 0),
        ([10, None, 50, None], 30, 0),
        ([10, None, 50, None], 50, 2),
        ([10, None, 50, None], 99, 2),
        ([10, None, 50, None], 100, 4),
        ([10, None, 100, None], 100, 2),
        ([0, None, 40], 20, 0),
        ([50, 20, None], 30, None),
        ([], 0, None),
        ([], 100, 0),
    ],
)
def test_resume_position(weights: list[int | None], shown: int, position: int | None) -> None:
    steps = [
        Step(set_weight=w) if w is not None else Step.model_validate({"pause": {}}) for w in weights
    ]
    assert resume_position(steps, shown) == position
