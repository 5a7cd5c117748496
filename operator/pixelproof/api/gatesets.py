"""Gate sets: metric gates and quality gates declared once and used by many rollouts.

A GateSet lives in a namespace and serves the rollouts of that namespace; a ClusterGateSet
serves every namespace. A rollout lists the sets it uses in spec.gateSets; their gates are
merged in that order, a later set replacing an earlier set's gate of the same name, and
the rollout's own spec.metrics.gates and spec.qualityGates replace any set's gate of the
same name. Merging is pure: the operator reads the sets, this module combines them."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import ApiModel
from .errors import FieldError
from .metrics import MetricGate
from .patterns import DNS_SUBDOMAIN
from .quality import QualityGates

GateSetKind = Literal["GateSet", "ClusterGateSet"]
GATE_SET_KINDS: tuple[GateSetKind, ...] = ("GateSet", "ClusterGateSet")
GATE_SET_PLURALS: dict[GateSetKind, str] = {
    "GateSet": "gatesets",
    "ClusterGateSet": "clustergatesets",
}


class GateSetRef(ApiModel):
    """A gate set this rollout uses."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    """Name of the GateSet (in the rollout's namespace) or ClusterGateSet."""
    kind: GateSetKind = Field(
        default="GateSet",
        description="GateSet: in the rollout's namespace; ClusterGateSet: cluster-wide.",
    )


class GateSetSpec(ApiModel):
    """Gates shared by the rollouts that list this set in spec.gateSets."""

    metric_gates: list[MetricGate] = Field(
        default_factory=list, max_length=50, json_schema_extra={"default": []}
    )
    """Metric gates, judged as if each rollout declared them in spec.metrics.gates; the
    rollout's spec.metrics.prometheus serves their queries."""
    quality_gates: QualityGates = Field(default_factory=QualityGates)
    """Quality gates, judged as if each rollout declared them in spec.qualityGates."""

    @model_validator(mode="after")
    def _unique_names(self) -> GateSetSpec:
        names = Counter(g.name for g in self.metric_gates)
        repeated = [f"{name!r} is used {count} times" for name, count in names.items() if count > 1]
        if repeated:
            message = f"{GATE_SET_RULES[0]['message']}: {', '.join(repeated)}"
            raise FieldError(message, "metricGates")
        return self


GATE_SET_RULES = [
    {
        "rule": "!has(self.metricGates) || "
        "self.metricGates.all(g, self.metricGates.exists_one(h, h.name == g.name))",
        "message": "metric gate names must be unique",
        "fieldPath": ".metricGates",
    }
]


def repeated_refs(refs: Sequence[GateSetRef]) -> list[str]:
    counts = Counter((r.kind, r.name) for r in refs)
    return [f"{kind} {name}" for (kind, name), count in counts.items() if count > 1]


GATE_SETS_RULES = [
    {
        "rule": "self.all(r, self.exists_one(s, s.name == r.name && s.kind == r.kind))",
        "message": "a gate set may be listed once",
    }
]


@dataclass(frozen=True)
class GateSetKey:
    """Which set a reference names: a ClusterGateSet has no namespace."""

    kind: GateSetKind
    name: str
    namespace: str = ""

    @classmethod
    def of(cls, ref: GateSetRef, namespace: str) -> GateSetKey:
        return cls(ref.kind, ref.name, namespace if ref.kind == "GateSet" else "")

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


def referenced_keys(spec: Any, namespace: str) -> list[GateSetKey]:
    """The sets a raw spec lists, read leniently: a malformed entry is the validation's to
    report, so it is skipped here."""
    refs = spec.get("gateSets") if isinstance(spec, Mapping) else None
    keys: list[GateSetKey] = []
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
            continue
        kind = ref.get("kind", "GateSet")
        if kind in GATE_SET_KINDS:
            keys.append(GateSetKey.of(GateSetRef(name=ref["name"], kind=kind), namespace))
    return keys


def merge_gate_sets(spec: Mapping[str, Any], sets: Sequence[GateSetSpec]) -> dict[str, Any]:
    """The rollout spec (wire form) with the sets' gates merged in, in order; the rollout's
    own gates win by name, and keep their place after the sets' gates."""
    merged = copy.deepcopy(dict(spec))
    metrics = dict(merged.get("metrics") or {})
    gates: dict[str, dict[str, Any]] = {}
    quality: dict[str, Any] = {}
    for gate_set in sets:
        wire = gate_set.to_wire()
        for gate in wire.get("metricGates", []):
            gates[gate["name"]] = gate
        quality.update(wire.get("qualityGates", {}))
    for gate in metrics.get("gates") or []:
        name = str(gate.get("name"))
        gates.pop(name, None)
        gates[name] = gate
    quality.update(merged.get("qualityGates") or {})
    if gates:
        metrics["gates"] = list(gates.values())
        merged["metrics"] = metrics
    if quality:
        merged["qualityGates"] = quality
    return merged
