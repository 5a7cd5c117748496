"""Canary headers and session affinity in the engine: the routes go in before user traffic
moves, read back from the router, and come out when the rollout ends."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelproof.api.status import Weights
from pixelproof.engine import SetRoutePolicies, SetWeights
from pixelproof_testkit.engine import make_spec, simulated

POLICIES: list[dict[str, Any]] = [
    {"canaryHeaders": [{"name": "x-canary", "value": "true"}]},
    {"sessionAffinity": {"cookie": {"name": "model"}}},
    {"sessionAffinity": {"header": {"name": "x-user"}}},
]


def policy_spec(policy: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    spec = make_spec(steps)
    spec["traffic"].update(policy)
    return spec


@pytest.mark.parametrize("policy", POLICIES)
def test_no_user_traffic_moves_before_the_router_reports_the_routes(
    policy: dict[str, Any],
) -> None:
    world = simulated(policy_spec(policy, [{"setWeight": 10}]), candidate_replicas=1)
    decision = world.tick()
    assert SetRoutePolicies(True) in decision.actions
    assert not any(isinstance(a, SetWeights) for a in decision.actions)
    assert "canary header" in world.waiting_on
    decision = world.tick()
    assert SetWeights(Weights(stable=90, candidate=10)) in decision.actions


def test_header_canary_at_zero_percent_sends_only_tagged_requests() -> None:
    spec = policy_spec(POLICIES[0], [{"setWeight": 0}, {"pause": {}}])
    world = simulated(spec, candidate_replicas=1)
    world.tick()
    assert world.status["currentStep"] == 0 and "canary header" in world.waiting_on
    world.run(10)
    assert world.phase == "Paused"
    assert world.policies_active and world.weights == Weights(stable=100, candidate=0)
    assert world.status["routePolicies"] is True


@pytest.mark.parametrize("ending", ["abort", "succeed"])
def test_routes_are_removed_when_the_rollout_ends(ending: str) -> None:
    world = simulated(policy_spec(POLICIES[1], [{"setWeight": 50}, {"pause": {}}]))
    world.candidate_replicas = 1
    world.run(10)
    assert world.policies_active
    world.commands["abort" if ending == "abort" else "promote-full"] = "t1"
    world.run(10)
    assert world.finished and not world.policies_active
    removals = [d.actions for d in world.history if SetRoutePolicies(False) in d.actions]
    # Removal goes first in its decision: no session stays pinned as traffic returns.
    assert removals and removals[0][0] == SetRoutePolicies(False)


@settings(max_examples=60, deadline=None)
@given(
    policy=st.sampled_from(POLICIES),
    weights=st.lists(st.integers(1, 100), min_size=1, max_size=4),
    flaky=st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_weight_above_zero_only_once_the_routes_read_back(
    policy: dict[str, Any], weights: list[int], flaky: list[bool]
) -> None:
    world = simulated(policy_spec(policy, [{"setWeight": w} for w in sorted(weights)]))
    world.candidate_replicas = 1
    for drop in flaky:
        if drop:
            world.policies_active = False  # someone's sync removed the routes
        seen = world.policies_active
        decision = world.tick()
        for action in decision.actions:
            if isinstance(action, SetWeights) and action.weights.candidate > 0:
                assert seen or world.finished


@pytest.mark.parametrize(
    ("router", "policy", "field"),
    [
        ({"replicas": {"totalReplicas": 4}}, POLICIES[1], "traffic.sessionAffinity"),
        ({"kserve": {"inferenceService": "gen"}}, POLICIES[0], "traffic.canaryHeaders"),
        ({"istio": {"virtualService": "gen"}}, POLICIES[2], "traffic.sessionAffinity.header"),
    ],
)
def test_a_router_that_cannot_apply_a_policy_stalls_naming_the_field(
    router: dict[str, Any], policy: dict[str, Any], field: str
) -> None:
    spec = make_spec([{"setWeight": 10}])
    spec["traffic"] = {**router, **policy}
    world = simulated(spec, candidate_replicas=1)
    decision = world.tick()
    stalled = world.condition("Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == "InvalidSpec"
    assert field in stalled["message"]
    assert not any(isinstance(a, (SetWeights, SetRoutePolicies)) for a in decision.actions)
