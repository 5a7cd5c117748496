"""Gateway API canary headers and session persistence, as JSON-patch ops on an HTTPRoute.

Canary headers: one rule, named pixelproof-canary-headers, whose matches are those of every
weighted rule with the header added, backed by the candidate alone. It goes last: with one
more header match it is the more specific rule, which the Gateway API prefers whatever the
order, and the user's rules keep their indexes. Session affinity: the weighted
rules' sessionPersistence (Gateway API v1.1+), by cookie or header."""

from __future__ import annotations

import copy
from typing import Any

from .route_policies import CANARY_ROUTE, RoutePolicies, presence
from .weighted_object import JsonPatch

Pairs = list[tuple[int, int, int]]


def session_persistence(policies: RoutePolicies) -> dict[str, Any] | None:
    affinity = policies.affinity
    if affinity is None:
        return None
    if affinity.cookie is not None:
        return {"sessionName": affinity.cookie.name, "type": "Cookie"}
    assert affinity.header is not None
    return {"sessionName": affinity.header.name, "type": "Header"}


def canary_rule(route: dict[str, Any], pairs: Pairs, policies: RoutePolicies) -> dict[str, Any]:
    rules = route["spec"]["rules"]
    matches = []
    for r, _, _ in pairs:
        for base in rules[r].get("matches") or [{}]:
            for header in policies.canary_headers:
                match = copy.deepcopy(base)
                wanted = {"type": "Exact", "name": header.name, "value": header.value}
                match["headers"] = [*(match.get("headers") or []), wanted]
                matches.append(match)
    r, _, c = pairs[0]
    backend = {k: v for k, v in rules[r]["backendRefs"][c].items() if k != "weight"}
    return {"name": CANARY_ROUTE, "matches": matches, "backendRefs": [{**backend, "weight": 1}]}


def _canary_indexes(route: dict[str, Any]) -> list[int]:
    rules = route["spec"].get("rules") or []
    return [i for i, rule in enumerate(rules) if rule.get("name") == CANARY_ROUTE]


def policies_in_place(route: dict[str, Any], pairs: Pairs, policies: RoutePolicies) -> bool | None:
    rules = route["spec"]["rules"]
    parts = []
    if policies.canary_headers:
        wanted = canary_rule(route, pairs, policies)
        parts.append(any(rules[i] == wanted for i in _canary_indexes(route)))
    persistence = session_persistence(policies)
    if persistence is not None:
        parts.append(all(rules[r].get("sessionPersistence") == persistence for r, _, _ in pairs))
    return presence(parts)


def policy_ops(
    route: dict[str, Any], pairs: Pairs, policies: RoutePolicies, active: bool
) -> JsonPatch:
    rules = route["spec"]["rules"]
    ops: JsonPatch = []
    persistence = session_persistence(policies)
    if persistence is not None:
        for r, _, _ in pairs:
            current = rules[r].get("sessionPersistence")
            path = f"/spec/rules/{r}/sessionPersistence"
            if active and current != persistence:
                ops.append({"op": "add", "path": path, "value": persistence})
            elif not active and current == persistence:
                ops.append({"op": "remove", "path": path})
    wanted = canary_rule(route, pairs, policies) if active and policies.canary_headers else None
    present = [rules[i] for i in _canary_indexes(route)]
    if present != ([] if wanted is None else [wanted]):
        # Remove from the end, so the indexes of the rules still to remove hold.
        ops += [
            {"op": "remove", "path": f"/spec/rules/{i}"} for i in reversed(_canary_indexes(route))
        ]
        if wanted is not None:
            ops.append({"op": "add", "path": "/spec/rules/-", "value": wanted})
    return ops
