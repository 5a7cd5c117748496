"""Reading the gate sets a rollout lists, and finding the rollouts a changed set serves."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from pixelproof.api.gatesets import GateSetKey, GateSetKind, referenced_keys
from pixelproof.kube import CLUSTERGATESETS, GATESETS, KubeApi, Resource

RESOURCES: dict[GateSetKind, Resource] = {"GateSet": GATESETS, "ClusterGateSet": CLUSTERGATESETS}


async def read_gate_sets(api: KubeApi, namespace: str, spec: Any) -> dict[GateSetKey, Any]:
    """The spec of every set the raw rollout spec lists, None for a set that is not there."""
    keys = referenced_keys(spec, namespace)
    found = await asyncio.gather(
        *(api.find(RESOURCES[key.kind], key.namespace, key.name) for key in keys)
    )
    return {
        key: None if obj is None else (obj.get("spec") or {})
        for key, obj in zip(keys, found, strict=True)
    }


def index_keys(namespace: str, spec: Any) -> list[str]:
    """Index keys of a rollout: one per set it lists, as `gate_set_key` writes them."""
    return [gate_set_key(k.kind, k.name, k.namespace) for k in referenced_keys(spec, namespace)]


def gate_set_key(kind: str, name: str, namespace: str | None) -> str:
    return f"{kind}/{namespace or ''}/{name}"


class GateSetUsers(dict[str, set[tuple[str, str]]]):
    """The rollouts (namespace, name) that list each set, by `gate_set_key`, kept as the
    rollouts' watch delivers them."""

    def __init__(self) -> None:
        super().__init__()
        self._listed: dict[tuple[str, str], list[str]] = {}

    def rollout(self, namespace: str, name: str, spec: Any) -> None:
        """The rollout lists what `spec` lists; None: it is gone, or not this operator's."""
        rollout = (namespace, name)
        for key in self._listed.pop(rollout, []):
            users = self.get(key, set())
            users.discard(rollout)
            if not users:
                self.pop(key, None)
        if spec is None:
            return
        keys = index_keys(namespace, spec)
        if keys:
            self._listed[rollout] = keys
        for key in keys:
            self.setdefault(key, set()).add(rollout)

    def clear(self) -> None:
        super().clear()
        self._listed.clear()


def users(index: Mapping[str, Iterable[tuple[str, str]]], key: str) -> list[tuple[str, str]]:
    """The rollouts (namespace, name) that list the set, each once."""
    return sorted(set(index.get(key, ())))
