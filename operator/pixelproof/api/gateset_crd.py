"""The GateSet and ClusterGateSet CRDs, generated from GateSetSpec.

A set's gates carry the same CEL rules as the rollout's own gates, so a set the API
server admits merges into a rollout without new complaints about any one gate."""

from __future__ import annotations

import copy
from typing import Any

from .base import GROUP, VERSION
from .crd_schema import node_at, structural
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
    plural = GATE_SET_PLURALS[kind]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{GROUP}",
            "labels": {"app.kubernetes.io/name": "pixelproof"},
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced" if kind == "GateSet" else "Cluster",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": SHORT_NAMES[kind],
                "categories": ["pixelproof"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "additionalPrinterColumns": [
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": DESCRIPTIONS[kind],
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": gate_set_schema(),
                            },
                        }
                    },
                }
            ],
        },
    }


def build_gate_set_crds() -> list[dict[str, Any]]:
    return [build_gate_set_crd("GateSet"), build_gate_set_crd("ClusterGateSet")]
