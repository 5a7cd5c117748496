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


def users(index: Mapping[str, Iterable[tuple[str, str]]], key: str) -> list[tuple[str, str]]:
    """The rollouts (namespace, name) that list the set, each once."""
    return sorted(set(index.get(key, ())))
