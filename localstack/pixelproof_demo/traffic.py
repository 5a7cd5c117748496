"""Live traffic for one HTTPRoute. A service-mesh data plane cannot run here, so this driver
stands in for it: it reads the route's backendRef weights from the Kubernetes API every
second and splits generate requests between the local generator processes accordingly, so
Prometheus sees the candidate's share of traffic as it would behind a real gateway.

It honours the rule's RequestMirror filter as a gateway would: that percent of requests is
also sent, for real over HTTP, to the mirror's backend (the rollout's prompt recorder), and
the mirror's answer is thrown away.

Requests have the golden set's image size: the evaluator's own requests reach both models
too, and a latency gate judges the candidate against the stable model fairly only when
both serve the same mix of requests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from pixelproof.kube.resources import HTTPROUTES
from pixelproof_refgen.traffic import DEFAULT_PROMPTS, TrafficDriver, TrafficReport

from .golden import SIZE

logger = logging.getLogger(__name__)

_GATEWAY_DEFAULT_WEIGHT = 1
_MIRROR_SENDERS = 2

Resolver = Callable[[str], str | None]
"""A Service name in the route's namespace -> the local URL standing for it, or None."""


def _rule(route: dict[str, Any], stable_service: str, candidate_service: str) -> dict[str, Any]:
    for rule in (route.get("spec") or {}).get("rules") or []:
        names = {ref.get("name") for ref in rule.get("backendRefs") or []}
        if stable_service in names and candidate_service in names:
            found: dict[str, Any] = rule
            return found
    raise ValueError(f"HTTPRoute {route['metadata']['name']} does not route to both Services")


def route_weights(
    route: dict[str, Any], stable_service: str, candidate_service: str
) -> tuple[int, int]:
    """(stable, candidate) weights of the first rule that routes to both Services."""
    refs = {
        ref.get("name"): ref
        for ref in _rule(route, stable_service, candidate_service)["backendRefs"]
    }
    return (
        int(refs[stable_service].get("weight", _GATEWAY_DEFAULT_WEIGHT)),
        int(refs[candidate_service].get("weight", _GATEWAY_DEFAULT_WEIGHT)),
    )


@dataclass(frozen=True)
class Mirror:
    service: str
    percent: int
    port: int | None = None


def route_mirrors(
    route: dict[str, Any], stable_service: str, candidate_service: str
) -> list[Mirror]:
    """The RequestMirror filters of that rule (Gateway API: all requests without a percent)."""
    mirrors = []
    for item in _rule(route, stable_service, candidate_service).get("filters") or []:
        if item.get("type") != "RequestMirror":
            continue
        spec = item.get("requestMirror") or {}
        ref = spec.get("backendRef") or {}
        fraction = spec.get("fraction") or {}
        if "percent" in spec:
            percent = int(spec["percent"])
        elif fraction.get("numerator") is not None:
            percent = round(
                100 * int(fraction["numerator"]) / int(fraction.get("denominator", 100))
            )
        else:
            percent = 100
        mirrors.append(Mirror(str(ref.get("name")), percent, ref.get("port")))
    return mirrors


class _MirrorShare:
    """Which requests a mirror copies: exactly `percent` of every hundred, spread evenly."""

    def __init__(self) -> None:
        self.seen = 0

    def take(self, percent: int) -> bool:
        self.seen += 1
        return (self.seen * percent) // 100 > ((self.seen - 1) * percent) // 100


@dataclass
class MirrorCounts:
    sent: int = 0
    accepted: int = 0
    failed: int = 0


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
        resolve: Resolver | None = None,
        prompts: Sequence[str] = DEFAULT_PROMPTS,
    ) -> None:
        """`stable` and `candidate` are (Service name, local URL) pairs; `resolve` finds the
        local URL of a mirror's backend Service."""
        self._http = httpx.Client(base_url=api_url, timeout=5)
        self._path = HTTPROUTES.path(namespace, route)
        self._services = (stable[0], candidate[0])
        self._resolve = resolve or (lambda _: None)
        self._mirrors: list[Mirror] = []
        self._shares: dict[str, _MirrorShare] = {}
        self._lock = threading.Lock()
        self._senders = ThreadPoolExecutor(_MIRROR_SENDERS, thread_name_prefix="mirror")
        self._mirror_http = httpx.Client(timeout=5)
        self.mirrored: dict[str, MirrorCounts] = {}
        self.driver = TrafficDriver(
            stable[1] + "/generate",
            candidate[1] + "/generate",
            self.weights,
            rate=rate,
            concurrency=4,
            duration_s=duration_s,
            size=SIZE,
            prompts=prompts,
            on_request=self._mirror,
        )

    def weights(self) -> tuple[int, int]:
        reply = self._http.get(self._path)
        reply.raise_for_status()
        route = reply.json()
        with self._lock:
            self._mirrors = route_mirrors(route, *self._services)
        return route_weights(route, *self._services)

    def _mirror(self, body: bytes) -> None:
        with self._lock:
            mirrors = list(self._mirrors)
        for mirror in mirrors:
            share = self._shares.setdefault(mirror.service, _MirrorShare())
            if share.take(mirror.percent):
                self._senders.submit(self._send_mirror, mirror.service, body)

    def _send_mirror(self, service: str, body: bytes) -> None:
        url = self._resolve(service)
        accepted = False
        # A gateway mirroring to a backend with no endpoints drops the copy too.
        if url is not None:
            try:
                reply = self._mirror_http.post(
                    url.rstrip("/") + "/generate",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                accepted = reply.is_success
            except httpx.HTTPError:
                accepted = False
        with self._lock:
            counts = self.mirrored.setdefault(service, MirrorCounts())
            counts.sent += 1
            counts.accepted += accepted
            counts.failed += not accepted

    def start(self) -> RouteTraffic:
        self.driver.start()
        return self

    def stop(self) -> TrafficReport:
        report = self.driver.stop()
        self._senders.shutdown(wait=True)
        self._mirror_http.close()
        self._http.close()
        return report
