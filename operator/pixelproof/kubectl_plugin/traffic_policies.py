"""`kubectl pixelproof status` lines for the traffic policies: the GPU budget's replicas,
the canary headers and the session affinity, with whether the router has them in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _routes_state(status: Mapping[str, Any]) -> str:
    reported = status.get("routePolicies")
    if reported is True:
        return "in place"
    return "not in place" if reported is False else "not read back yet"


def traffic_policy_lines(
    spec: Mapping[str, Any], status: Mapping[str, Any], width: int = 13
) -> list[str]:
    """One line per declared policy, labels padded to `width` as the view around them."""
    traffic = spec.get("traffic") or {}
    lines: list[tuple[str, str]] = []
    budget = traffic.get("gpuBudget")
    if budget:
        shared = status.get("gpuBudget") or {}
        total = budget.get("totalReplicas", shared.get("totalReplicas", 0))
        delay = budget.get("scaleDownDelaySeconds", 30)
        if shared:
            asked = (
                f"stable {shared.get('stableReplicas', 0)} + candidate "
                f"{shared.get('candidateReplicas', 0)} of {total} replicas"
            )
        else:
            asked = f"{total} replicas, none asked yet"
        lines.append(("GPU budget:", f"{asked} (scale-down {delay}s after traffic moves)"))
    headers = traffic.get("canaryHeaders") or []
    if headers:
        named = ", ".join(f"{h.get('name')}: {h.get('value')}" for h in headers)
        lines.append(("Canary:", f"{named} -> candidate ({_routes_state(status)})"))
    affinity = traffic.get("sessionAffinity") or {}
    for kind in ("cookie", "header"):
        if kind in affinity:
            name = (affinity[kind] or {}).get("name", "pixelproof-model")
            lines.append(("Sessions:", f"pinned by {kind} {name} ({_routes_state(status)})"))
    return [f"{label:<{width}}{text}" for label, text in lines]
