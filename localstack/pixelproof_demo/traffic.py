"""Live traffic for one HTTPRoute. A service-mesh data plane cannot run here, so this driver
stands in for it: it reads the route's backendRef weights from the Kubernetes API every
second and splits generate requests between the local generator processes accordingly, so
Prometheus sees the candidate's share of traffic as it would behind a real gateway.

Requests have the golden set's image size: the evaluator's own requests reach both models
too, and a latency gate judges the candidate against the stable model fairly only when
both serve the same mix of requests."""

from __future__ import annotations

from typing import Any

import httpx

from pixelproof.kube.resources import HTTPROUTES
from pixelproof_refgen.traffic import TrafficDriver, TrafficReport

from .golden import SIZE

_GATEWAY_DEFAULT_WEIGHT = 1


def route_weights(
    route: dict[str, Any], stable_service: str, candidate_service: str
) -> tuple[int, int]:
    """(stable, candidate) weights of the first rule that routes to both Services."""
    for rule in (route.get("spec") or {}).get("rules") or []:
        refs = {ref.get("name"): ref for ref in rule.get("backendRefs") or []}
        if stable_service in refs and candidate_service in refs:
            return (
                int(refs[stable_service].get("weight", _GATEWAY_DEFAULT_WEIGHT)),
                int(refs[candidate_service].get("weight", _GATEWAY_DEFAULT_WEIGHT)),
            )
    raise ValueError(f"HTTPRoute {route['metadata']['name']} does not route to both Services")


class RouteTraffic:
    """Requests at `rate` per second through one HTTPRoute, until ``stop()``."""

    def __init__(
        self,
        api_url: str,
        namespace: str,
        route: str,
        stable: tuple[str, str],
        candidate: tuple[str, str],
        *,
        rate: float = 5.0,
        duration_s: float = 3600.0,
    ) -> None:
        """`stable` and `candidate` are (Service name, local URL) pairs."""
        self._http = httpx.Client(base_url=api_url, timeout=5)
        self._path = HTTPROUTES.path(namespace, route)
        self._services = (stable[0], candidate[0])
        self.driver = TrafficDriver(
            stable[1] + "/generate",
            candidate[1] + "/generate",
            self.weights,
            rate=rate,
            concurrency=4,
            duration_s=duration_s,
            size=SIZE,
        )

    def weights(self) -> tuple[int, int]:
        reply = self._http.get(self._path)
        reply.raise_for_status()
        return route_weights(reply.json(), *self._services)

    def start(self) -> RouteTraffic:
        self.driver.start()
        return self

    def stop(self) -> TrafficReport:
        report = self.driver.stop()
        self._http.close()
        return report
