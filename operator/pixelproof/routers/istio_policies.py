"""Istio canary headers and cookie session affinity, as JSON-patch ops on a VirtualService.

Istio matches HTTP routes in order, so both go in as routes just before the weighted one,
each with the weighted route's matches narrowed further. Canary headers: a route named
pixelproof-canary-headers to the candidate. Cookie affinity: the weighted destinations set
a cookie naming their side on each response, and two routes, pixelproof-session-stable
and pixelproof-session-candidate, send a request carrying that cookie back to the same
side whatever the weights. (A DestinationRule's consistentHash picks pods within one host;
it cannot keep a user on one of two hosts, so header affinity is refused for Istio.)"""

from __future__ import annotations

import copy
from typing import Any

from .route_policies import CANARY_ROUTE, RoutePolicies, presence
from .weighted_object import JsonPatch

SESSION_ROUTES = {
    "stable": "pixelproof-session-stable",
    "candidate": "pixelproof-session-candidate",
}
OWN_ROUTES = (CANARY_ROUTE, *SESSION_ROUTES.values())
Located = tuple[int, int, int]


def _narrowed(http: dict[str, Any], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The route's matches, each ANDed with each of `extra` (ORed)."""
    matches = []
    for base in http.get("match") or [{}]:
        for headers in extra:
            match = copy.deepcopy(base)
            match["headers"] = {**(match.get("headers") or {}), **headers}
            matches.append(match)
    return matches


def _to(destination: dict[str, Any]) -> list[dict[str, Any]]:
    plain = {k: v for k, v in destination.items() if k not in ("weight", "headers")}
    return [{**plain, "weight": 100}]


def cookie_value(policies: RoutePolicies, side: str) -> str | None:
    affinity = policies.affinity
    if affinity is None or affinity.cookie is None:
        return None
    return f"{affinity.cookie.name}={side}; Path=/; HttpOnly"


def own_routes(vs: dict[str, Any], at: Located, policies: RoutePolicies) -> list[dict[str, Any]]:
    """The routes the policies add, in order, before the weighted route."""
    i, s, c = at
    http = vs["spec"]["http"][i]
    destinations = http["route"]
    routes = []
    if policies.canary_headers:
        extra = [{h.name: {"exact": h.value}} for h in policies.canary_headers]
        routes.append(
            {
                "name": CANARY_ROUTE,
                "match": _narrowed(http, extra),
                "route": _to(destinations[c]),
            }
        )
    if cookie_value(policies, "stable") is not None:
        assert policies.affinity is not None and policies.affinity.cookie is not None
        name = policies.affinity.cookie.name
        for side, index in (("candidate", c), ("stable", s)):
            pattern = {"cookie": {"regex": f"^(.*;\\s*)?{name}={side}(;.*)?$"}}
            routes.append(
                {
                    "name": SESSION_ROUTES[side],
                    "match": _narrowed(http, [pattern]),
                    "route": _to(destinations[index]),
                }
            )
    return routes


def _with_cookie(destination: dict[str, Any], value: str | None) -> dict[str, Any] | None:
    """The destination's headers with our Set-Cookie added (value) or taken out (None)."""
    headers = copy.deepcopy(destination.get("headers") or {})
    response = headers.setdefault("response", {})
    setting = response.setdefault("set", {})
    if value is None:
        setting.pop("set-cookie", None)
    else:
        setting["set-cookie"] = value
    if not setting:
        response.pop("set")
    if not response:
        headers.pop("response")
    return headers or None


def _own_indexes(vs: dict[str, Any]) -> list[int]:
    return [i for i, h in enumerate(vs["spec"].get("http") or []) if h.get("name") in OWN_ROUTES]


def policies_in_place(vs: dict[str, Any], at: Located, policies: RoutePolicies) -> bool | None:
    http = vs["spec"]["http"]
    i, s, c = at
    present = {h["name"]: h for h in http if h.get("name") in OWN_ROUTES}
    parts = [present.get(r["name"]) == r for r in own_routes(vs, at, policies)]
    for side, index in (("stable", s), ("candidate", c)):
        value = cookie_value(policies, side)
        if value is not None:
            headers = http[i]["route"][index].get("headers") or {}
            parts.append(
                ((headers.get("response") or {}).get("set") or {}).get("set-cookie") == value
            )
    return presence(parts)


def policy_ops(vs: dict[str, Any], at: Located, policies: RoutePolicies, active: bool) -> JsonPatch:
    i, s, c = at
    http = vs["spec"]["http"]
    ops: JsonPatch = []
    for side, index in (("stable", s), ("candidate", c)):
        if cookie_value(policies, "stable") is None:
            break
        destination = http[i]["route"][index]
        headers = _with_cookie(destination, cookie_value(policies, side) if active else None)
        path = f"/spec/http/{i}/route/{index}/headers"
        if headers != destination.get("headers"):
            ops.append(
                {"op": "add", "path": path, "value": headers}
                if headers is not None
                else {"op": "remove", "path": path}
            )
    wanted = own_routes(vs, at, policies) if active else []
    owned = _own_indexes(vs)
    if [http[j] for j in owned] == wanted and all(j < i for j in owned):
        return ops
    # Remove from the end so the indexes still to remove hold, then insert before the
    # weighted route, which has moved up by the routes removed before it.
    ops += [{"op": "remove", "path": f"/spec/http/{j}"} for j in reversed(owned)]
    position = i - sum(1 for j in owned if j < i)
    ops += [
        {"op": "add", "path": f"/spec/http/{position + k}", "value": route}
        for k, route in enumerate(wanted)
    ]
    return ops
