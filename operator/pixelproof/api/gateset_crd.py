"""The GateSet and ClusterGateSet CRDs, generated from GateSetSpec.

A set's gates carry the same CEL rules as the rollout's own gates, so a set the API
server admits merges into a rollout without new complaints about any one gate."""

from __future__ import annotations

import copy
from typing import Any

from .crd_schema import crd_document, node_at, structural
from .gatesets import GATE_SET_PLURALS, GATE_SET_RULES, GateSetKind, GateSetSpec
from .metrics import METRIC_GATE_RULES, RELATIVE_RULES
from .quality import bound_rules

RULES: dict[tuple[str, ...], list[dict[str, str]]] = {
    (): GATE_SET_RULES,
    ("metricGates", "[]"): METRIC_GATE_RULES,
    ("metricGates", "[]", "relativeToStable"): RELATIVE_RULES,
    ("qualityGates", "lpips"): bound_rules("maxMean", "maxNoiseMultiple"),
    ("qualityGates", "determinism"): bound_rules("maxReplayDistance", "maxNoiseMultiple"),
    ("qualityGates", "color"): bound_rules("maxDeltaE", "maxNoiseMultiple"),
    ("qualityGates", "sharpness"): bound_rules("minRatio", "maxNoiseMultiple"),
}

DESCRIPTIONS: dict[GateSetKind, str] = {
    "GateSet": "Metric and quality gates shared by the ModelRollouts of its namespace that "
    "list it in spec.gateSets.",
    "ClusterGateSet": "Metric and quality gates shared by ModelRollouts of every namespace "
    "that list it in spec.gateSets with kind ClusterGateSet.",
}
SHORT_NAMES: dict[GateSetKind, list[str]] = {"GateSet": ["gs"], "ClusterGateSet": ["cgs"]}


def gate_set_schema() -> dict[str, Any]:
    schema = structural(GateSetSpec)
    for path, rules in RULES.items():
        node_at(schema, path)["x-kubernetes-validations"] = copy.deepcopy(rules)
    schema["description"] = "The gates of the set."
    return schema


def build_gate_set_crd(kind: GateSetKind) -> dict[str, Any]:
    return crd_document(
        kind=kind,
        plural=GATE_SET_PLURALS[kind],
        singular=kind.lower(),
        short_names=SHORT_NAMES[kind],
        namespaced=kind == "GateSet",
        description=DESCRIPTIONS[kind],
        schemas={"spec": gate_set_schema()},
        printer_columns=[
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
        ],
        status_subresource=False,
    )


def build_gate_set_crds() -> list[dict[str, Any]]:
    return [build_gate_set_crd("GateSet"), build_gate_set_crd("ClusterGateSet")]
