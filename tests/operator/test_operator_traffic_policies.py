"""The GPU budget, canary headers and session affinity with kopf running for real against
the local API server, which also reports the Deployments' readiness."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import DEPLOYMENTS, HTTPROUTES, VIRTUALSERVICES
from pixelproof_testkit.manifests import httproute, virtualservice
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scenario import LocalThen, World, given

PAUSED = [{"setWeight": 25}, {"setWeight": 50}, {"pause": {}}]


class History:
    """Every stored state of the Deployments' desired replicas and of the route's weights,
    in the order the API server stored them."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.replicas: dict[str, int] = {}
        self.entries: list[tuple[str, int, int]] = []
        cluster.call(cluster.server.store.add_listener, self._on_event)

    def _on_event(self, spec: Any, event: Any) -> None:
        if event.type == "DELETED":
            return
        obj = event.object
        if spec.plural == "deployments":
            self.replicas[obj["metadata"]["name"]] = int(obj["spec"].get("replicas", 1))
            pair = (self.replicas.get("poster-v1", 0), self.replicas.get("poster-v2", 0))
            self.entries.append(("replicas", *pair))
        elif spec.plural == "httproutes":
            refs = obj["spec"]["rules"][0]["backendRefs"]
            self.entries.append(("weights", refs[0]["weight"], refs[1]["weight"]))

    def replica_states(self) -> list[tuple[int, int]]:
        return [(s, c) for kind, s, c in self.entries if kind == "replicas"]


def budget(total: int = 4) -> dict[str, Any]:
    return {
        "gatewayAPI": {"httpRoute": "poster-gen"},
        "gpuBudget": {"totalReplicas": total, "scaleDownDelaySeconds": 1},
    }


def test_gpu_budget_never_exceeded_on_the_way_to_full_weight(world: World) -> None:
    history = History(world.cluster)
    (
        given(world).namespace().patched(f"{DEPLOYMENTS}/poster-v1", {"spec": {"replicas": 4}})
        .rollout(steps=PAUSED[:2], traffic=budget())
        .when().apply()
        .then().expect_phase("Succeeded")
        .expect_replicas("poster-v1", 0).expect_replicas("poster-v2", 4)
    )  # fmt: skip
    recorded = world.kube.status("poster-gen")["gpuBudget"]
    assert (recorded["stableReplicas"], recorded["candidateReplicas"]) == (0, 4)
    states = history.replica_states()
    assert states and all(s + c <= 4 for s, c in states), states
    # The candidate grew only as stable shrank, one step at a time.
    assert (3, 1) in states and (2, 2) in states


def test_rollback_restores_stable_before_traffic_returns(world: World) -> None:
    history = History(world.cluster)
    scenario = (
        given(world).namespace().patched(f"{DEPLOYMENTS}/poster-v1", {"spec": {"replicas": 4}})
        .rollout(steps=PAUSED, traffic=budget())
        .when().apply()
        .then().expect_phase("Paused").expect_replicas("poster-v2", 2)
        .when().abort()
        .then().expect_phase("RolledBack")
        .expect_replicas("poster-v1", 4).expect_replicas("poster-v2", 0)
    )  # fmt: skip
    assert scenario.status()["weights"] == {"stable": 100, "candidate": 0}
    entries = history.entries
    back = next(
        i
        for i, (kind, _, c) in enumerate(entries)
        if kind == "weights"
        and c == 0
        and i > 0
        and any(k == "weights" and w > 0 for k, _, w in entries[:i])
    )
    before = [(s, c) for kind, s, c in entries[:back] if kind == "replicas"]
    assert before[-1][0] >= 3, entries  # stable restored to all but the candidate's last pod
    assert all(s + c <= 4 for s, c in history.replica_states()), entries


POLICIES = {
    "canaryHeaders": [{"name": "x-canary", "value": "true"}],
    "sessionAffinity": {"cookie": {"name": "poster-model"}},
}


def test_gateway_api_canary_header_and_session_persistence(world: World) -> None:
    traffic = {"gatewayAPI": {"httpRoute": "poster-gen"}, **POLICIES}
    route_path = f"{HTTPROUTES}/poster-gen"
    (
        given(world).namespace().rollout(steps=[{"setWeight": 0}, {"pause": {}}], traffic=traffic)
        .when().apply()
        .then().expect_phase("Paused").expect_status(routePolicies=True)
    )  # fmt: skip
    rules = world.kube.get(route_path)["spec"]["rules"]
    assert rules[0]["sessionPersistence"] == {"sessionName": "poster-model", "type": "Cookie"}
    assert rules[1] == {
        "name": "pixelproof-canary-headers",
        "matches": [
            {
                "path": {"type": "PathPrefix", "value": "/generate"},
                "headers": [{"type": "Exact", "name": "x-canary", "value": "true"}],
            }
        ],
        "backendRefs": [{"name": "poster-candidate", "port": 80, "weight": 1}],
    }
    # At 0 % only tagged requests reach the candidate.
    assert [r["weight"] for r in rules[0]["backendRefs"]] == [100, 0]
    # A sync that resets the route to Git: the routes come back while the rollout runs.
    world.kube.patch(route_path, {"spec": {"rules": httproute()["spec"]["rules"]}})
    wait_for(
        lambda: len(world.kube.get(route_path)["spec"]["rules"]) == 2,
        timeout=30,
        what="the canary rule put back",
    )
    given(world).when(operator=False).abort()
    original = httproute()["spec"]
    wait_for(
        lambda: world.kube.get(route_path)["spec"] == original,
        timeout=30,
        what="the HTTPRoute back as written",
    )


def _weighted(vs: dict[str, Any]) -> dict[str, Any]:
    return next(h for h in vs["spec"]["http"] if h.get("name") == "primary")


VS_PATH = f"{VIRTUALSERVICES}/poster-gen"


def paused_istio_rollout(world: World) -> LocalThen:
    """An Istio rollout with both policies, paused at 10 % with its routes in place."""
    traffic = {"istio": {"virtualService": "poster-gen"}, **POLICIES}
    return (
        given(world, "istio").namespace()
        .rollout(steps=[{"setWeight": 10}, {"pause": {}}], traffic=traffic)
        .when().apply()
        .then().expect_phase("Paused").expect_status(routePolicies=True)
    )  # fmt: skip


def test_istio_canary_header_and_cookie_affinity(world: World) -> None:
    paused_istio_rollout(world)
    http = world.kube.get(VS_PATH)["spec"]["http"]
    assert [h["name"] for h in http] == [
        "pixelproof-canary-headers",
        "pixelproof-session-candidate",
        "pixelproof-session-stable",
        "primary",
    ]
    assert http[0]["match"] == [{"headers": {"x-canary": {"exact": "true"}}}]
    assert http[0]["route"] == [{"destination": {"host": "poster-candidate"}, "weight": 100}]
    assert "poster-model=candidate" in http[1]["match"][0]["headers"]["cookie"]["regex"]
    stable, candidate = _weighted(world.kube.get(VS_PATH))["route"]
    assert (stable["weight"], candidate["weight"]) == (90, 10)
    assert candidate["headers"]["response"]["set"]["set-cookie"].startswith(
        "poster-model=candidate;"
    )
    given(world).when(operator=False).promote_full()
    expected = copy.deepcopy(virtualservice()["spec"])
    expected["http"][0]["route"][0]["weight"] = 0
    expected["http"][0]["route"][1]["weight"] = 100
    wait_for(
        lambda: world.kube.get(VS_PATH)["spec"] == expected,
        timeout=30,
        what="the VirtualService back as written, all traffic on the candidate",
    )


def test_deleting_the_rollout_takes_the_routes_out(world: World) -> None:
    paused_istio_rollout(world).when().delete().then().expect_gone()
    assert world.kube.get(VS_PATH)["spec"] == virtualservice()["spec"]


@pytest.mark.parametrize(
    ("traffic", "field"),
    [
        ({"replicas": {"totalReplicas": 4}, **POLICIES}, "traffic.sessionAffinity"),
        (
            {"replicas": {"totalReplicas": 4}, "gpuBudget": {"totalReplicas": 4}},
            "traffic.gpuBudget",
        ),
        (
            {
                "istio": {"virtualService": "poster-gen"},
                "sessionAffinity": {"header": {"name": "x-user"}},
            },
            "traffic.sessionAffinity.header",
        ),
    ],
)
def test_a_router_that_cannot_apply_a_policy_is_refused_naming_the_field(
    world: World, traffic: dict[str, Any], field: str
) -> None:
    scenario = given(world).namespace().rollout(traffic=traffic).when(operator=False)
    with pytest.raises(Exception) as refused:
        scenario.apply()
    assert field in str(refused.value)
