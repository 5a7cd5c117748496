"""Rollouts to 100 % with each router, and a rollback on a failed evaluation, with kopf
running for real against the local API server."""

from __future__ import annotations

import pytest

from pixelproof_testkit.scenario import World, given


def test_gateway_api_rollout_reaches_full_weight(world: World) -> None:
    (
        given(world).namespace().weights_logged().rollout()
        .when().apply()
        .then().expect_phase("Succeeded")
        .expect_events(
            "RolloutStarted", "EvaluationStarted", "EvaluationPass", "Succeeded", "WeightsSet"
        )
        .expect_backends({"poster-stable": 0, "poster-candidate": 100})
        # Only the weight fields changed: the rest of the route is as the user wrote it.
        .expect_route_matches([{"path": {"type": "PathPrefix", "value": "/generate"}}])
        .expect_candidate_weights([10, 50, 100])
        .expect_status(weights={"stable": 0, "candidate": 100})
        .expect_evaluation("Pass")
        .expect_replicas("poster-v2", 2)
        .expect_condition("Ready", "True")
        .expect_jobs("step", ["1"])
    )  # fmt: skip


def test_istio_rollout_reaches_full_weight(world: World) -> None:
    (
        given(world, "istio").namespace().weights_logged().rollout()
        .when().apply()
        .then().expect_phase("Succeeded")
        .expect_weights(0, 100)
        .expect_candidate_weights([10, 50, 100])
    )  # fmt: skip


def test_replicas_rollout_reaches_full_weight(world: World) -> None:
    (
        given(world, "replicas").weights_logged().namespace().rollout()
        .when().apply()
        .then().expect_phase("Succeeded")
        .expect_weights(0, 4)
        # (stable, candidate) pods: 10 % and 50 % of four pods are one and two candidate pods;
        # stable shrinks before the candidate grows, so the candidate never gets ahead.
        .expect_weight_states([(4, 0), (3, 0), (3, 1), (2, 1), (2, 2), (0, 2), (0, 4)])
    )  # fmt: skip


def test_failed_evaluation_rolls_back(world: World) -> None:
    (
        given(world).namespace().evaluation_fails(1, "lpips mean 0.41 > 0.25").rollout()
        .when().apply()
        .then().expect_phase("RolledBack")
        .expect_replicas("poster-v2", 0)
        .expect_events("EvaluationFailed")
        .expect_rollback_reason("lpips mean 0.41 > 0.25")
        .expect_weights(100, 0)
        .expect("the lpips gate first", lambda s: s["lastEvaluation"]["gates"][0]["name"] == "lpips")
    )  # fmt: skip


@pytest.mark.parametrize("router", ["gatewayAPI"])
def test_stays_rolled_back_until_retry(world: World, router: str) -> None:
    (
        given(world, router).namespace().evaluation_fails(1).rollout()
        .when().apply()
        .then().expect_phase("RolledBack")
        .when().retry()
        .then().expect_phase("Succeeded")
        .expect_status(attempt=2)
    )  # fmt: skip
