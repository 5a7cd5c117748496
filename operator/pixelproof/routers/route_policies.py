"""What a mesh router needs to know of the canary headers and session affinity a spec
declares, and the names of the routes it adds for them."""

from __future__ import annotations

from dataclasses import dataclass

from pixelproof.api.traffic import TrafficSpec
from pixelproof.api.traffic_policies import CanaryHeader, SessionAffinity

CANARY_ROUTE = "pixelproof-canary-headers"
"""Name of the route (an HTTPRoute rule, a VirtualService HTTP route) that sends requests
carrying a canary header to the candidate."""


@dataclass(frozen=True)
class RoutePolicies:
    canary_headers: tuple[CanaryHeader, ...] = ()
    affinity: SessionAffinity | None = None

    @classmethod
    def of(cls, traffic: TrafficSpec) -> RoutePolicies:
        return cls(tuple(traffic.canary_headers), traffic.session_affinity)

    @property
    def declared(self) -> bool:
        return bool(self.canary_headers) or self.affinity is not None


def presence(parts: list[bool]) -> bool | None:
    """All declared parts in place: True; none of them: False; some: None, which the engine
    neither takes for in place nor for removed, so it writes them again."""
    if all(parts):
        return True
    return False if not any(parts) else None
