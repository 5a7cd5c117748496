"""Istio: destination weights of a VirtualService HTTP route to the stable and candidate hosts.

Only the `weight` fields of the two destinations are written, with a JSON-patch that tests
the resourceVersion first, so a concurrent edit (a GitOps sync) is never overwritten. For
spec.liveTraffic the same HTTP route gets `mirror` (the prompt recorder's host) and
`mirrorPercentage`; a route that already mirrors elsewhere is refused, never overwritten."""

from __future__ import annotations

from typing import Any

from pixelproof.api.live import RECORDER_PORT
from pixelproof.api.status import Weights
from pixelproof.engine.observations import RouterReading
from pixelproof.kube import VIRTUALSERVICES, KubeApi

from .base import RouterError, shares
from .istio_policies import policies_in_place, policy_ops
from .weighted_object import JsonPatch, WeightedObjectRouter


def _is_host(destination: dict[str, Any], service: str, namespace: str) -> bool:
    host = str(destination.get("host", ""))
    return host in (service, f"{service}.{namespace}", f"{service}.{namespace}.svc") or (
        host.startswith(f"{service}.{namespace}.svc.")
    )


class IstioRouter(WeightedObjectRouter):
    resource = VIRTUALSERVICES
    kind = "VirtualService"

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        virtual_service: str,
        route: str | None,
        stable_service: str,
        candidate_service: str,
        recorder: str | None = None,
    ) -> None:
        super().__init__(
            api, namespace, virtual_service, stable_service, candidate_service, recorder
        )
        self.route = route

    def _locate(self, vs: dict[str, Any]) -> tuple[int, int, int]:
        """(http route, stable destination, candidate destination) indexes."""
        http = (vs.get("spec") or {}).get("http") or []
        if self.route is not None:
            named = [i for i, h in enumerate(http) if h.get("name") == self.route]
            if not named:
                raise RouterError(f"{self._what} has no HTTP route named {self.route!r}")
            candidates = named
        else:
            candidates = list(range(len(http)))
        for i in candidates:
            routes = http[i].get("route") or []
            s = next(
                (
                    j
                    for j, d in enumerate(routes)
                    if _is_host(d.get("destination") or {}, self.stable, self.namespace)
                ),
                None,
            )
            c = next(
                (
                    j
                    for j, d in enumerate(routes)
                    if _is_host(d.get("destination") or {}, self.candidate, self.namespace)
                ),
                None,
            )
            if s is not None and c is not None:
                return i, s, c
        if self.route is None:
            raise RouterError(
                f"{self._what} has no HTTP route with destinations for both host {self.stable} "
                f"and host {self.candidate}"
            )
        raise RouterError(
            f"{self._what}: HTTP route {self.route!r} needs destinations for both host "
            f"{self.stable} and host {self.candidate}"
        )

    async def read_weights(self) -> RouterReading:
        try:
            vs = await self._get()
            i, s, c = self._locate(vs)
        except RouterError as exc:
            return RouterReading(error=str(exc))
        http = vs["spec"]["http"][i]
        # Istio: with several destinations an unset weight counts as 0.
        weights = [d.get("weight", 0) for d in http["route"]]
        others = sum(w for j, w in enumerate(weights) if j not in (s, c))
        return RouterReading(
            weights=shares(weights[s], weights[c], others),
            mirror=self._mirror(http),
            policies_active=(
                policies_in_place(vs, (i, s, c), self.policies) if self.policies.declared else None
            ),
        )

    def _mirrors_to_recorder(self, http: dict[str, Any]) -> bool:
        mirror = http.get("mirror")
        return (
            isinstance(mirror, dict)
            and self.recorder is not None
            and _is_host(mirror, self.recorder, self.namespace)
        )

    def _mirror(self, http: dict[str, Any]) -> int | None:
        if not self._mirrors_to_recorder(http):
            return None
        # Istio: a mirror without mirrorPercentage copies every request.
        return round(float((http.get("mirrorPercentage") or {}).get("value", 100)))

    async def set_mirror(self, percent: int | None) -> None:
        def mirror_ops(vs: dict[str, Any]) -> JsonPatch:
            i, _, _ = self._locate(vs)
            http = vs["spec"]["http"][i]
            base = f"/spec/http/{i}"
            ours = self._mirrors_to_recorder(http)
            if percent is None:
                if not ours:
                    return []
                ops: JsonPatch = [{"op": "remove", "path": f"{base}/mirror"}]
                if "mirrorPercentage" in http:
                    ops.append({"op": "remove", "path": f"{base}/mirrorPercentage"})
                return ops
            if http.get("mirror") and not ours:
                raise RouterError(
                    f"{self._what}: HTTP route {http.get('name') or i} already mirrors to "
                    f"{http['mirror'].get('host')}; pixelproof will not replace it with the "
                    f"prompt recorder {self.recorder}"
                )
            host = f"{self.recorder}.{self.namespace}.svc.cluster.local"
            return [
                {
                    "op": "add",
                    "path": f"{base}/mirror",
                    "value": {"host": host, "port": {"number": RECORDER_PORT}},
                },
                {"op": "add", "path": f"{base}/mirrorPercentage", "value": {"value": percent}},
            ]

        await self._write(mirror_ops)

    async def set_weights(self, weights: Weights) -> None:
        def weight_ops(vs: dict[str, Any]) -> JsonPatch:
            i, s, c = self._locate(vs)
            base = f"/spec/http/{i}/route"
            ops: JsonPatch = [
                {"op": "add", "path": f"{base}/{s}/weight", "value": weights.stable},
                {"op": "add", "path": f"{base}/{c}/weight", "value": weights.candidate},
            ]
            for j, destination in enumerate(vs["spec"]["http"][i]["route"]):
                if j not in (s, c) and destination.get("weight", 0) != 0:
                    ops.append({"op": "add", "path": f"{base}/{j}/weight", "value": 0})
            return ops

        await self._write(weight_ops)

    def _policy_ops(self, found: dict[str, Any], active: bool) -> JsonPatch:
        return policy_ops(found, self._locate(found), self.policies, active)
