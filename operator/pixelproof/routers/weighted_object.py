"""What the Gateway API and Istio routers share: the weights live in one object (an
HTTPRoute, a VirtualService), and every write tests the resourceVersion it read, so a
concurrent edit (a GitOps sync) is re-read rather than overwritten."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from pixelproof.api.status import STABLE_ONLY, Weights
from pixelproof.engine.observations import RouterReading
from pixelproof.kube import ConflictError, KubeApi, Resource

from .base import CONFLICT_RETRIES, RouterError, cannot_mirror
from .route_policies import RoutePolicies

JsonPatch = list[dict[str, Any]]


class WeightedObjectRouter(ABC):
    owns_candidate_replicas = False
    resource: ClassVar[Resource]
    kind: ClassVar[str]
    policies = RoutePolicies()
    """Canary headers and session affinity the spec declares; router_for sets them."""

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        name: str,
        stable_service: str,
        candidate_service: str,
        recorder: str | None = None,
    ) -> None:
        """`recorder` is the Service of the rollout's prompt recorder, the only mirror this
        router writes or removes."""
        self.api = api
        self.namespace = namespace
        self.name = name
        self.stable = stable_service
        self.candidate = candidate_service
        self.recorder = recorder

    @property
    def _what(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    async def _get(self) -> dict[str, Any]:
        found = await self.api.find(self.resource, self.namespace, self.name)
        if found is None:
            raise RouterError(f"{self._what} not found")
        return found

    async def _write(self, weight_ops: Callable[[dict[str, Any]], JsonPatch]) -> None:
        """Patch the ops `weight_ops` builds from a fresh read, retrying lost races."""
        for attempt in range(CONFLICT_RETRIES + 1):
            found = await self._get()
            version = found["metadata"].get("resourceVersion")
            ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": version}]
            ops += weight_ops(found)
            try:
                await self.api.patch(self.resource, self.namespace, self.name, ops, kind="json")
                return
            except ConflictError:
                if attempt == CONFLICT_RETRIES:
                    raise

    @abstractmethod
    async def read_weights(self) -> RouterReading:
        """The weights, and the mirror to the prompt recorder, live in the cluster now."""

    @abstractmethod
    async def set_weights(self, weights: Weights) -> None:
        """Route `weights` percent of traffic; raises RouterError naming what is missing."""

    async def set_mirror(self, percent: int | None) -> None:
        """Routers that mirror override this; the others have none to remove."""
        if percent is not None:
            raise cannot_mirror(self.kind)

    async def set_policies(self, active: bool) -> None:
        """Put the canary header and session affinity routes in place, or take them out."""
        if self.policies.declared:
            await self._write(lambda found: self._policy_ops(found, active))

    def _policy_ops(self, found: dict[str, Any], active: bool) -> JsonPatch:
        # The one validation refuses route policies for routers without these ops.
        raise RouterError(f"{self._what} cannot route by header or pin sessions")

    async def clean_up(self, return_to_stable: bool) -> None:
        if self.policies.declared:
            await self.set_policies(False)
        if return_to_stable:
            await self.set_weights(STABLE_ONLY)
        if self.recorder is not None and (await self.read_weights()).mirror is not None:
            await self.set_mirror(None)
