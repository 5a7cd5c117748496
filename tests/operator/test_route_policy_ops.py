"""The JSON-patch ops of the canary header and session affinity routes, applied with the
jsonpatch library the local API server uses: in place after adding, nothing more to write
once in place, and the route exactly as written after removal, whatever else it holds."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import pytest

from pixelproof.api.traffic_policies import CanaryHeader, CookieAffinity, HeaderAffinity
from pixelproof.api.traffic_policies import SessionAffinity as Affinity
from pixelproof.routers import gatewayapi_policies as gw
from pixelproof.routers import istio_policies as istio
from pixelproof.routers.route_policies import RoutePolicies

CANARY = (CanaryHeader(name="x-canary", value="true"), CanaryHeader(name="x-team", value="qa"))
COOKIE = Affinity(cookie=CookieAffinity(name="poster-model"))
HEADER = Affinity(header=HeaderAffinity(name="x-user"))


def httproute() -> dict[str, Any]:
    backends = [
        {"name": "poster-stable", "port": 80, "weight": 90},
        {"name": "poster-candidate", "port": 80, "weight": 10},
    ]
    return {
        "spec": {
            "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/health"}}],
                 "backendRefs": [{"name": "poster-stable", "port": 80}]},
                {"matches": [
                    {"path": {"type": "PathPrefix", "value": "/generate"}},
                    {"path": {"type": "Exact", "value": "/v2/generate"},
                     "headers": [{"name": "x-region", "value": "eu"}]},
                ], "backendRefs": backends},
            ]
        }
    }  # fmt: skip


def virtualservice() -> dict[str, Any]:
    return {
        "spec": {
            "http": [
                {"name": "health", "match": [{"uri": {"prefix": "/health"}}],
                 "route": [{"destination": {"host": "poster-stable"}}]},
                {"name": "primary", "match": [{"uri": {"prefix": "/generate"}}], "route": [
                    {"destination": {"host": "poster-stable", "port": {"number": 80}}, "weight": 90,
                     "headers": {"response": {"add": {"x-served-by": "stable"}}}},
                    {"destination": {"host": "poster-candidate"}, "weight": 10},
                ]},
            ]
        }
    }  # fmt: skip


GW_PAIRS = [(1, 0, 1)]
VS_AT = (1, 0, 1)


def _apply(obj: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = jsonpatch.apply_patch(obj, ops, in_place=False)
    return result


CASES = [
    RoutePolicies(CANARY, None),
    RoutePolicies((), COOKIE),
    RoutePolicies(CANARY[:1], HEADER),
    RoutePolicies(CANARY, COOKIE),
]


@pytest.mark.parametrize("policies", CASES)
def test_gateway_api_ops_round_trip(policies: RoutePolicies) -> None:
    original = httproute()
    assert gw.policies_in_place(original, GW_PAIRS, policies) is False
    added = _apply(original, gw.policy_ops(original, GW_PAIRS, policies, True))
    assert gw.policies_in_place(added, GW_PAIRS, policies) is True
    assert gw.policy_ops(added, GW_PAIRS, policies, True) == []
    assert added["spec"]["rules"][:2][0] == original["spec"]["rules"][0]
    removed = _apply(added, gw.policy_ops(added, GW_PAIRS, policies, False))
    assert removed == original


def test_gateway_api_canary_rule_narrows_every_match() -> None:
    policies = RoutePolicies(CANARY[:1], None)
    rule = gw.canary_rule(httproute(), GW_PAIRS, policies)
    assert rule["matches"][1]["headers"] == [
        {"name": "x-region", "value": "eu"},
        {"type": "Exact", "name": "x-canary", "value": "true"},
    ]
    assert rule["backendRefs"] == [{"name": "poster-candidate", "port": 80, "weight": 1}]


@pytest.mark.parametrize("policies", [p for p in CASES if p.affinity is not HEADER])
def test_istio_ops_round_trip(policies: RoutePolicies) -> None:
    original = virtualservice()
    assert istio.policies_in_place(original, VS_AT, policies) is False
    added = _apply(original, istio.policy_ops(original, VS_AT, policies, True))
    names = [h["name"] for h in added["spec"]["http"]]
    assert names[0] == "health" and names[-1] == "primary"
    at = (names.index("primary"), 0, 1)
    assert istio.policies_in_place(added, at, policies) is True
    assert istio.policy_ops(added, at, policies, True) == []
    removed = _apply(added, istio.policy_ops(added, at, policies, False))
    assert removed == original


def test_istio_cookie_keeps_the_destinations_own_headers() -> None:
    policies = RoutePolicies((), COOKIE)
    original = virtualservice()
    added = _apply(original, istio.policy_ops(original, VS_AT, policies, True))
    stable = added["spec"]["http"][3]["route"][0]
    assert stable["headers"]["response"]["add"] == {"x-served-by": "stable"}
    assert stable["headers"]["response"]["set"]["set-cookie"].startswith("poster-model=stable;")


def test_a_partial_set_reads_as_neither_in_place_nor_removed() -> None:
    policies = RoutePolicies(CANARY, COOKIE)
    added = _apply(httproute(), gw.policy_ops(httproute(), GW_PAIRS, policies, True))
    partial = copy.deepcopy(added)
    del partial["spec"]["rules"][1]["sessionPersistence"]
    assert gw.policies_in_place(partial, GW_PAIRS, policies) is None
    repaired = _apply(partial, gw.policy_ops(partial, GW_PAIRS, policies, True))
    assert repaired == added
