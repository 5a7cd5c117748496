"""`kubectl pixelproof status` shows the GPU budget's replicas and whether the canary header
and session affinity routes are in place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pixelproof.kubectl_plugin.render import status_view
from pixelproof.kubectl_plugin.style import Style
from pixelproof.kubectl_plugin.tree import _route_weights, rollout_header


def rollout(traffic: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "poster-gen", "namespace": "imagegen"},
        "spec": {"traffic": traffic, "steps": [{"setWeight": 50}]},
        "status": {"phase": "Progressing", "currentStep": 0, **status},
    }


def test_status_shows_the_budget_and_the_route_policies() -> None:
    obj = rollout(
        {
            "gatewayAPI": {"httpRoute": "poster-gen"},
            "gpuBudget": {"totalReplicas": 4, "scaleDownDelaySeconds": 45},
            "canaryHeaders": [{"name": "x-canary", "value": "true"}],
            "sessionAffinity": {"cookie": {"name": "poster-model"}},
        },
        {
            "gpuBudget": {"totalReplicas": 4, "stableReplicas": 3, "candidateReplicas": 1},
            "routePolicies": True,
        },
    )
    view = status_view(obj, datetime.now(UTC)).splitlines()
    assert (
        "GPU budget:  stable 3 + candidate 1 of 4 replicas (scale-down 45s after traffic moves)"
        in view
    )
    assert "Canary:      x-canary: true -> candidate (in place)" in view
    assert "Sessions:    pinned by cookie poster-model (in place)" in view


def test_status_without_policies_shows_none_of_them() -> None:
    obj = rollout({"gatewayAPI": {"httpRoute": "poster-gen"}}, {})
    view = status_view(obj, datetime.now(UTC))
    assert "GPU budget" not in view and "Canary" not in view and "Sessions" not in view


def test_routes_not_yet_read_back_say_so() -> None:
    obj = rollout(
        {"istio": {"virtualService": "poster-gen"}, "sessionAffinity": {"cookie": {"name": "m"}}},
        {"routePolicies": False},
    )
    assert "pinned by cookie m (not in place)" in status_view(obj, datetime.now(UTC))


def test_get_header_shows_the_policies_and_the_tree_ignores_their_routes() -> None:
    obj = rollout(
        {
            "istio": {"virtualService": "poster-gen"},
            "gpuBudget": {"totalReplicas": 4},
            "canaryHeaders": [{"name": "x-canary", "value": "true"}],
        },
        {"gpuBudget": {"totalReplicas": 4, "stableReplicas": 2, "candidateReplicas": 2}},
    )
    header = rollout_header(obj, Style(False))
    assert (
        "GPU budget:    stable 2 + candidate 2 of 4 replicas (scale-down 30s after traffic moves)"
        in header
    )
    assert "Canary:        x-canary: true -> candidate (not read back yet)" in header
    spec = {"stable": {"service": "poster-stable"}, "candidate": {"service": "poster-candidate"}}
    vs = {
        "spec": {
            "http": [
                {"name": "pixelproof-canary-headers",
                 "route": [{"destination": {"host": "poster-candidate"}, "weight": 100}]},
                {"name": "primary", "route": [
                    {"destination": {"host": "poster-stable"}, "weight": 90},
                    {"destination": {"host": "poster-candidate"}, "weight": 10},
                ]},
            ]
        }
    }  # fmt: skip
    assert _route_weights("VirtualService", vs, spec) == "stable 90 / candidate 10"
