"""Steering a live rollout: commands, a spec edit, missing objects, and deletion."""

from __future__ import annotations

from pixelproof_testkit.kube import DEPLOYMENTS, HTTPROUTES, SERVICES
from pixelproof_testkit.manifests import deployment, httproute, service
from pixelproof_testkit.scenario import World, given

MANUAL = [{"setWeight": 10}, {"pause": {}}, {"setWeight": 50}, {"pause": {}}, {"setWeight": 80}]


def test_promote_promote_full_and_commands_never_touch_spec(world: World) -> None:
    paused = given(world).namespace().rollout(steps=MANUAL).when().apply().then()
    spec = paused.expect_phase("Paused").rollout()["spec"]
    (
        paused.expect_weights(90, 10)
        .when().promote("1700000001")
        .then().expect_step(3).expect_weights(50, 50)
        .when().promote_full("1700000002")
        .then().expect_phase("Succeeded")
        .expect_status(acknowledgedCommands={"promote": "1700000001", "promote-full": "1700000002"})
        .expect_spec(spec)
        .when().stop_operator()
        .then().expect_weights(0, 100)
    )  # fmt: skip


def test_abort_returns_traffic_to_stable_and_retry_starts_again(world: World) -> None:
    (
        given(world).namespace().rollout(steps=MANUAL)
        .when().apply()
        .then().expect_phase("Paused")
        .when().abort("a1")
        .then().expect_phase("RolledBack").expect_weights(100, 0).expect_rollback_reason("aborted")
        .expect_replicas("poster-v2", 0)
        .when().retry("r1")
        .then().expect_phase("Paused").expect_status(attempt=2).expect_weights(90, 10)
        .expect_replicas("poster-v2", 2)
    )  # fmt: skip


def test_candidate_change_mid_rollout_restarts_from_the_first_step(world: World) -> None:
    route = httproute()
    route["spec"]["rules"][0]["backendRefs"].append(
        {"name": "poster-candidate-v3", "port": 80, "weight": 0}
    )
    second_pause = (
        given(world).namespace()
        .object(DEPLOYMENTS, deployment("poster-v3", 0))
        .object(SERVICES, service("poster-candidate-v3", {"version": "poster-v3"}))
        .patched(f"{HTTPROUTES}/poster-gen", route)
        .rollout(steps=MANUAL)
        .when().apply()
        .then().expect_phase("Paused")
        .when().promote("p1")
        .then().expect_step(3)
    )  # fmt: skip
    first_revision = second_pause.status()["revision"]
    v3 = {"deployment": "poster-v3", "service": "poster-candidate-v3", "replicas": 1}
    (
        second_pause.when().patch_spec({"candidate": v3})
        .then().expect("a new revision", lambda s: s.get("revision") != first_revision)
        .expect(
            "the new candidate's first pause",
            lambda s: s.get("phase") == "Paused" and s.get("currentStep") == 1,
        )
        .expect_events("CandidateChanged")
        # The old candidate's backendRef went back to 0 before the new candidate got its 10 %.
        .expect_backends({"poster-stable": 90, "poster-candidate": 0, "poster-candidate-v3": 10})
        .expect_replicas("poster-v3", 1)
    )  # fmt: skip


def test_missing_route_and_service_stall_with_a_message_and_recover(world: World) -> None:
    (
        given(world).namespace(route=False).without(f"{SERVICES}/poster-candidate")
        .rollout(steps=[{"setWeight": 10}, {"setWeight": 100}])
        .when().apply()
        .then().expect_condition("Stalled", "True")
        .expect_stalled("HTTPRoute imagegen/poster-gen not found")
        .expect_stalled("candidate Service imagegen/poster-candidate not found")
        .expect_events("MissingDependency")
        .when().create(SERVICES, service("poster-candidate", {"version": "poster-v2"}))
        .create(HTTPROUTES, httproute())
        .then().expect_phase("Succeeded")
        .expect_conditions({"Ready": "True", "Reconciling": "False", "Stalled": "False"})
    )  # fmt: skip


def test_deletion_returns_traffic_to_stable_and_removes_jobs(world: World) -> None:
    (
        given(world).namespace().weights_logged()
        .rollout(steps=[{"setWeight": 20}, {"evaluate": {}}, {"pause": {}}])
        .when().apply()
        .then().expect_phase("Paused").expect_job_count(1)
        .when().delete()
        .then().expect_gone()
        .when().stop_operator()
        .then().expect_weights(100, 0).expect_last_candidate_weight(0).expect_job_count(0)
    )  # fmt: skip


def test_deletion_keeps_traffic_when_asked(world: World) -> None:
    (
        given(world).namespace()
        .rollout(steps=[{"setWeight": 20}, {"pause": {}}], rollback={"onDelete": "keep"})
        .when().apply()
        .then().expect_phase("Paused")
        .when().delete()
        .then().expect_gone()
        .when().stop_operator()
        .then().expect_weights(80, 20)
    )  # fmt: skip
