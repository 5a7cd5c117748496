"""Gateway API: weights of an HTTPRoute's backendRefs to the stable and candidate Services.

Only the `weight` fields of the two backendRefs are written, with a JSON-patch that tests
the resourceVersion first, so a concurrent edit (a GitOps sync) is never overwritten. For
spec.liveTraffic the same rules get a RequestMirror filter to the prompt recorder Service;
filters mirroring elsewhere are left alone."""

from __future__ import annotations

from typing import Any

from pixelproof.api.live import MIXED_MIRROR, RECORDER_PORT
from pixelproof.api.status import Weights
from pixelproof.engine.observations import RouterReading
from pixelproof.kube import HTTPROUTES

from .base import RouterError, shares
from .gatewayapi_policies import policies_in_place, policy_ops
from .weighted_object import JsonPatch, WeightedObjectRouter

_DEFAULT_WEIGHT = 1  # Gateway API: a backendRef without a weight has weight 1
MIRROR_FILTER = "RequestMirror"


def _mirror_percent(mirror: dict[str, Any]) -> int:
    """Gateway API: `percent`, or `fraction` numerator/denominator; all requests without either."""
    if "percent" in mirror:
        return int(mirror["percent"])
    fraction = mirror.get("fraction")
    if isinstance(fraction, dict) and fraction.get("numerator") is not None:
        denominator = int(fraction.get("denominator", 100)) or 100
        return round(100 * int(fraction["numerator"]) / denominator)
    return 100


def _is_service(ref: dict[str, Any], service: str, namespace: str) -> bool:
    return (
        ref.get("name") == service
        and ref.get("group", "") in ("", "core")
        and ref.get("kind", "Service") == "Service"
        and ref.get("namespace", namespace) == namespace
    )


class GatewayApiRouter(WeightedObjectRouter):
    resource = HTTPROUTES
    kind = "HTTPRoute"

    def _pairs(self, route: dict[str, Any]) -> list[tuple[int, int, int]]:
        """(rule, stable ref, candidate ref) indexes of every rule that routes to both Services."""
        pairs = []
        stable_anywhere = False
        for r, rule in enumerate((route.get("spec") or {}).get("rules") or []):
            refs = rule.get("backendRefs") or []
            s = next(
                (i for i, ref in enumerate(refs) if _is_service(ref, self.stable, self.namespace)),
                None,
            )
            c = next(
                (
                    i
                    for i, ref in enumerate(refs)
                    if _is_service(ref, self.candidate, self.namespace)
                ),
                None,
            )
            stable_anywhere = stable_anywhere or s is not None
            if s is not None and c is not None:
                pairs.append((r, s, c))
        if not pairs:
            missing = self.candidate if stable_anywhere else self.stable
            raise RouterError(
                f"{self._what} has no rule with backendRefs to both Service {self.stable} and "
                f"Service {self.candidate} (no backendRef to Service {missing})"
            )
        return pairs

    def _is_ours(self, item: dict[str, Any]) -> bool:
        if item.get("type") != MIRROR_FILTER or self.recorder is None:
            return False
        ref = (item.get("requestMirror") or {}).get("backendRef") or {}
        return _is_service(ref, self.recorder, self.namespace)

    def _mirror(self, rules: list[dict[str, Any]], pairs: list[tuple[int, int, int]]) -> int | None:
        percents = set()
        for r, _, _ in pairs:
            ours = [f for f in rules[r].get("filters") or [] if self._is_ours(f)]
            percents.add(_mirror_percent(ours[0]["requestMirror"]) if ours else None)
        return percents.pop() if len(percents) == 1 else MIXED_MIRROR

    async def read_weights(self) -> RouterReading:
        try:
            route = await self._get()
            pairs = self._pairs(route)
        except RouterError as exc:
            return RouterReading(error=str(exc))
        rules = route["spec"]["rules"]
        readings = []
        for r, s, c in pairs:
            weights = [ref.get("weight", _DEFAULT_WEIGHT) for ref in rules[r]["backendRefs"]]
            others = sum(w for i, w in enumerate(weights) if i not in (s, c))
            readings.append(shares(weights[s], weights[c], others))
        # Rules that disagree: report the one giving the candidate most, the safe side to judge.
        return RouterReading(
            weights=max(readings, key=lambda w: (w.candidate, -w.stable)),
            mirror=self._mirror(rules, pairs),
            policies_active=(
                policies_in_place(route, pairs, self.policies) if self.policies.declared else None
            ),
        )

    async def set_mirror(self, percent: int | None) -> None:
        def mirror_ops(route: dict[str, Any]) -> JsonPatch:
            ops: JsonPatch = []
            for r, _, _ in self._pairs(route):
                filters = route["spec"]["rules"][r].get("filters") or []
                kept = [f for f in filters if not self._is_ours(f)]
                if percent is not None:
                    kept.append(self._mirror_filter(percent))
                path = f"/spec/rules/{r}/filters"
                if not kept and filters:
                    # Gone as it came: a route applied without filters reads back without them.
                    ops.append({"op": "remove", "path": path})
                elif kept != filters:
                    ops.append({"op": "add", "path": path, "value": kept})
            return ops

        await self._write(mirror_ops)

    def _mirror_filter(self, percent: int) -> dict[str, Any]:
        return {
            "type": MIRROR_FILTER,
            "requestMirror": {
                "backendRef": {"name": self.recorder, "port": RECORDER_PORT},
                "percent": percent,
            },
        }

    async def set_weights(self, weights: Weights) -> None:
        def weight_ops(route: dict[str, Any]) -> JsonPatch:
            ops: JsonPatch = []
            for r, s, c in self._pairs(route):
                refs = route["spec"]["rules"][r]["backendRefs"]
                for i, ref in enumerate(refs):
                    wanted = weights.stable if i == s else weights.candidate if i == c else 0
                    if i in (s, c) or ref.get("weight", _DEFAULT_WEIGHT) != 0:
                        path = f"/spec/rules/{r}/backendRefs/{i}/weight"
                        ops.append({"op": "add", "path": path, "value": wanted})
            return ops

        await self._write(weight_ops)

    def _policy_ops(self, found: dict[str, Any], active: bool) -> JsonPatch:
        return policy_ops(found, self._pairs(found), self.policies, active)
