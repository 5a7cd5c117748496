"""The rollback window: returning to a candidate revision promoted within it skips the
steps; anything else (no window, too old, too far back, a changed pod template, a status
nobody can vouch for) runs them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelproof.api.rollback_window import MAX_PROMOTED_HISTORY
from pixelproof.api.status import Weights
from pixelproof.engine import SetWeights
from pixelproof.simulation.world import SimulatedWorld
from pixelproof_testkit.engine import make_spec, simulated

STEPS = [{"setWeight": 10}, {"pause": {"duration": "1m"}}, {"setWeight": 50}]


def roll_out(world: SimulatedWorld, stable: str, candidate: str) -> list[Weights]:
    """Change the spec to this stable and candidate and run until the rollout ends: the
    weights it set on the way."""
    world.spec["stable"]["deployment"] = stable
    world.spec["candidate"]["deployment"] = candidate
    if world.status:
        world.generation += 1
    start = len(world.history)
    world.run(ticks=300, seconds=10)
    assert world.phase == "Succeeded", world.status["message"]
    return [
        a.weights for d in world.history[start:] for a in d.actions if isinstance(a, SetWeights)
    ]


def promoted(world: SimulatedWorld) -> list[str]:
    return [p["deployment"] for p in world.status.get("promotedRevisions", [])]


def world_with(window: dict[str, Any] | None, **fields: Any) -> SimulatedWorld:
    extra = {"rollbackWindow": window} if window is not None else {}
    return simulated(make_spec(STEPS, **extra), **fields)


def test_returning_to_the_revision_before_skips_the_steps() -> None:
    world = world_with({"revisions": 2})
    assert Weights(stable=90, candidate=10) in roll_out(world, "gen-v1", "gen-v2")
    assert Weights(stable=90, candidate=10) in roll_out(world, "gen-v2", "gen-v3")
    assert promoted(world) == ["gen-v3", "gen-v2"]
    weights = roll_out(world, "gen-v3", "gen-v2")
    assert [w.candidate for w in weights if w.candidate] == [100]
    assert "StepsSkipped" in world.events()
    assert "gen-v2 was promoted at" in world.status["fastTracked"]
    assert promoted(world) == ["gen-v2", "gen-v3"]


def test_a_new_rollout_after_a_fast_track_runs_its_steps_again() -> None:
    world = world_with({"revisions": 2})
    roll_out(world, "gen-v1", "gen-v2")
    roll_out(world, "gen-v2", "gen-v3")
    roll_out(world, "gen-v3", "gen-v2")
    weights = roll_out(world, "gen-v2", "gen-v4")
    assert Weights(stable=90, candidate=10) in weights
    assert "fastTracked" not in world.status


@pytest.mark.parametrize(
    ("window", "elapsed", "skipped"),
    [
        (None, 0, False),
        ({"revisions": 1}, 0, False),
        ({"revisions": 2}, 0, True),
        ({"duration": "1h"}, 0, True),
        ({"duration": "1h"}, 7200, False),
        ({"revisions": 2, "duration": "1h"}, 7200, False),
        ({"revisions": 1, "duration": "1h"}, 0, False),
    ],
)
def test_only_a_revision_inside_every_declared_bound_is_fast_tracked(
    window: dict[str, Any] | None, elapsed: int, skipped: bool
) -> None:
    world = world_with(window)
    roll_out(world, "gen-v1", "gen-v2")
    roll_out(world, "gen-v2", "gen-v3")
    world.now += timedelta(seconds=elapsed)
    weights = roll_out(world, "gen-v3", "gen-v2")
    assert (Weights(stable=90, candidate=10) not in weights) is skipped
    assert ("StepsSkipped" in world.events()) is skipped


def test_a_changed_pod_template_under_the_same_name_is_a_new_revision() -> None:
    world = world_with({"revisions": 3}, candidate_template="image-a")
    roll_out(world, "gen-v1", "gen-v2")
    roll_out(world, "gen-v2", "gen-v3")
    world.candidate_template = "image-b"
    weights = roll_out(world, "gen-v3", "gen-v2")
    assert Weights(stable=90, candidate=10) in weights


def test_metric_gates_still_judge_a_fast_tracked_rollout_at_full_traffic() -> None:
    metrics = {
        "prometheus": {"address": "http://prometheus:9090"},
        "interval": "10s",
        "gates": [{"name": "errors", "query": "q", "max": 0.05}],
    }
    world = simulated(
        make_spec(STEPS, rollbackWindow={"revisions": 2}, metrics=metrics),
        metric_values={"errors": 0.01},
    )
    roll_out(world, "gen-v1", "gen-v2")
    roll_out(world, "gen-v2", "gen-v3")
    world.metric_values["errors"] = 0.5
    world.spec["stable"]["deployment"], world.spec["candidate"]["deployment"] = "gen-v3", "gen-v2"
    world.generation += 1
    world.run(ticks=100, seconds=10)
    assert world.phase == "RolledBack"
    assert "StepsSkipped" in world.events()


def test_a_status_the_operator_cannot_vouch_for_keeps_no_promoted_history() -> None:
    world = world_with({"revisions": 2})
    roll_out(world, "gen-v1", "gen-v2")
    roll_out(world, "gen-v2", "gen-v3")
    assert promoted(world) == ["gen-v3", "gen-v2"]
    world.status = {**world.status, "attempt": 7}  # an edit the seal no longer covers
    world.tick()
    assert "StatusTampered" in world.events()
    assert promoted(world) == []
    weights = roll_out(world, "gen-v3", "gen-v2")
    assert Weights(stable=90, candidate=10) in weights


@settings(max_examples=25, deadline=None)
@given(order=st.lists(st.integers(2, 14), min_size=1, max_size=14))
def test_the_promoted_history_is_bounded_newest_first_each_revision_once(
    order: list[int],
) -> None:
    world = world_with({"revisions": MAX_PROMOTED_HISTORY})
    stable = "gen-v1"
    promoted_in_order: list[str] = []
    for candidate in (f"gen-v{n}" for n in order):
        if candidate == stable:
            continue
        roll_out(world, stable, candidate)
        promoted_in_order.append(candidate)
        stable = candidate
    history = promoted(world)
    # Newest first, each once: the order of last promotion.
    expected: list[str] = []
    for candidate in reversed(promoted_in_order):
        if candidate not in expected:
            expected.append(candidate)
    assert history == expected[:MAX_PROMOTED_HISTORY]
