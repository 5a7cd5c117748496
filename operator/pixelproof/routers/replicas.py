"""No mesh: stable and candidate pods sit behind one Service, so the candidate's share of
traffic is its share of pods. The weight becomes a replica plan over a fixed pod total.

This router scales both Deployments (the only place pixelproof touches the stable one).
Writes shrink first and grow second: moving weight to the candidate shrinks stable before
the candidate grows, and moving it back shrinks the candidate first, so the candidate's
share of pods never exceeds the weight it is moving to, at the cost of a short dip in
capacity. The weight last applied is kept in an annotation on the candidate Deployment so
that a plan shared by several weights (1 % and 10 % of four pods are both one pod) reads
back as the weight that was set."""

from __future__ import annotations

from typing import Any

from pixelproof.api.status import STABLE_ONLY, Weights
from pixelproof.api.traffic_policies import replica_plan
from pixelproof.engine.observations import RouterReading
from pixelproof.kube import DEPLOYMENTS, KubeApi

from .base import RouterError, cannot_mirror, shares

WEIGHT_ANNOTATION = "pixelproof.dev/weight"


class ReplicasRouter:
    owns_candidate_replicas = True

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        total: int,
        stable_deployment: str,
        candidate_deployment: str,
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.total = total
        self.stable = stable_deployment
        self.candidate = candidate_deployment

    async def _get(self, name: str) -> dict[str, Any]:
        found = await self.api.find(DEPLOYMENTS, self.namespace, name)
        if found is None:
            raise RouterError(f"Deployment {self.namespace}/{name} not found")
        return found

    async def read_weights(self) -> RouterReading:
        try:
            stable = await self._get(self.stable)
            candidate = await self._get(self.candidate)
        except RouterError as exc:
            return RouterReading(error=str(exc))
        live = (_replicas(stable), _replicas(candidate))
        annotated = (candidate["metadata"].get("annotations") or {}).get(WEIGHT_ANNOTATION)
        if annotated is not None and annotated.isdigit():
            weight = int(annotated)
            if replica_plan(self.total, weight) == live:
                return RouterReading(weights=Weights(stable=100 - weight, candidate=weight))
        return RouterReading(weights=shares(*live))

    async def _scale(self, name: str, replicas: int) -> None:
        await self.api.patch(
            DEPLOYMENTS, self.namespace, name, {"spec": {"replicas": replicas}}, sub="scale"
        )

    async def _set_candidate(self, replicas: int, weight: int | None) -> None:
        body = {
            "metadata": {
                "annotations": {WEIGHT_ANNOTATION: None if weight is None else str(weight)}
            },
            "spec": {"replicas": replicas},
        }
        await self.api.patch(DEPLOYMENTS, self.namespace, self.candidate, body)

    async def set_weights(self, weights: Weights) -> None:
        stable_pods, candidate_pods = replica_plan(self.total, weights.candidate)
        current = _replicas(await self._get(self.candidate))
        await self._get(self.stable)
        if candidate_pods > current:
            await self._scale(self.stable, stable_pods)
            await self._set_candidate(candidate_pods, weights.candidate)
        else:
            await self._set_candidate(candidate_pods, weights.candidate)
            await self._scale(self.stable, stable_pods)

    async def set_mirror(self, percent: int | None) -> None:
        """Pods behind one Service have no route to copy requests from."""
        if percent is not None:
            raise cannot_mirror("replicas")

    async def clean_up(self, return_to_stable: bool) -> None:
        if return_to_stable:
            await self.set_weights(STABLE_ONLY)
        candidate = await self.api.find(DEPLOYMENTS, self.namespace, self.candidate)
        if candidate is not None:
            await self.api.patch(
                DEPLOYMENTS,
                self.namespace,
                self.candidate,
                {"metadata": {"annotations": {WEIGHT_ANNOTATION: None}}},
            )


def _replicas(deployment: dict[str, Any]) -> int:
    return int((deployment.get("spec") or {}).get("replicas", 1))
