"""Property: for any step plan and any sequence of observations, the replicas the engine
asks of stable and candidate never exceed traffic.gpuBudget, no weight it sets points at a
side without a ready pod, and traffic goes back to stable only once stable is restored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixelproof.api.status import Weights
from pixelproof.engine import (
    CandidateReading,
    Observations,
    RouterReading,
    ScaleWithinBudget,
    SetWeights,
    decide,
    parse_spec,
)
from pixelproof_testkit.engine import T0, make_spec


@st.composite
def budget_specs(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 6))
    weights = sorted(draw(st.lists(st.integers(0, 100), min_size=count, max_size=count)))
    steps: list[dict[str, Any]] = []
    for weight in weights:
        steps.append({"setWeight": weight})
        if draw(st.booleans()):
            steps.append({"pause": {"duration": f"{draw(st.integers(1, 60))}s"}})
    spec = make_spec(steps, progressDeadlineSeconds=draw(st.integers(10, 600)))
    spec["traffic"]["gpuBudget"] = {
        "totalReplicas": draw(st.integers(2, 12)),
        "scaleDownDelaySeconds": draw(st.integers(0, 60)),
    }
    spec["rollback"] = {"scaleDownCandidate": draw(st.booleans())}
    return spec


observation_steps = st.lists(
    st.fixed_dictionaries(
        {
            "router": st.sampled_from(["applied", "applied", "stale", "random"]),
            "random": st.integers(0, 100),
            "stable_lag": st.integers(0, 2),
            "candidate_lag": st.integers(0, 2),
            "apply_scale": st.booleans() | st.just(True),
            "command": st.sampled_from([None, None, None, "abort", "retry", "promote-full"]),
            "seconds": st.integers(0, 45),
        }
    ),
    min_size=1,
    max_size=40,
)


def _reading(replicas: int, lag: int) -> CandidateReading:
    ready = max(replicas - lag, 0)
    return CandidateReading(
        ready=ready >= max(replicas, 1), ready_replicas=ready, replicas=replicas
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=budget_specs(), sequence=observation_steps)
def test_replicas_stay_within_budget_and_weights_point_at_ready_pods(
    spec: dict[str, Any], sequence: list[dict[str, Any]]
) -> None:
    total = spec["traffic"]["gpuBudget"]["totalReplicas"]
    parsed = parse_spec(spec)
    assert parsed.model is not None
    status: dict[str, Any] = {}
    applied, stable, candidate = Weights(), total, 0
    now = T0
    for index, raw in enumerate(sequence):
        routed = {
            "applied": applied,
            "stale": Weights(),
            "random": Weights(stable=100 - raw["random"], candidate=raw["random"]),
        }[raw["router"]]
        stable_seen = _reading(stable, raw["stable_lag"])
        candidate_seen = _reading(candidate, raw["candidate_lag"])
        obs = Observations(
            router=RouterReading(weights=routed),
            stable=stable_seen,
            candidate=candidate_seen,
            commands={raw["command"]: f"t{index}"} if raw["command"] else {},
        )
        decision = decide(parsed, status, obs, now, name="gen", namespace="ns")
        for action in decision.actions:
            if isinstance(action, ScaleWithinBudget):
                assert action.stable + action.candidate <= total
                if stable + candidate <= total:
                    # Applied shrink first: the side that grows fits beside the other's pods.
                    if action.stable > stable:
                        assert action.stable + candidate <= total
                    if action.candidate > candidate:
                        assert stable + action.candidate <= total
                if raw["apply_scale"]:
                    stable, candidate = action.stable, action.candidate
            elif isinstance(action, SetWeights):
                if action.weights.candidate > 0:
                    assert candidate_seen.ready_replicas >= 1
                if action.weights.stable > 0:
                    assert stable_seen.ready_replicas >= 1
                if action.weights.candidate == 0 and routed.candidate > 0:
                    # A rollback sends traffic back only to a restored stable: all but one
                    # pod ready. (Restoring a drifted route to a declared share needs only
                    # the replicas that share was planned with.)
                    assert stable_seen.ready_replicas >= total - 1
                applied = action.weights
        status = decision.status
        now += timedelta(seconds=raw["seconds"])
