"""The GateSets and ClusterGateSets of a YAML file, as a simulated rollout finds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixelproof.api.gatesets import GATE_SET_KINDS, GateSetKey
from pixelproof.api.validation import validate_gate_set
from pixelproof.lint import read_documents


def read_gate_sets(path: Path, namespace: str) -> tuple[dict[GateSetKey, Any], list[str]]:
    """Each set's spec by what names it (a GateSet without a namespace is in the rollout's),
    and the problems of the sets the API server would refuse."""
    try:
        documents = read_documents(path)
    except ValueError as exc:
        return {}, [str(exc)]
    found: dict[GateSetKey, Any] = {}
    problems: list[str] = []
    for doc in documents:
        if not isinstance(doc, dict) or doc.get("kind") not in GATE_SET_KINDS:
            continue
        meta = doc.get("metadata") or {}
        name = str(meta.get("name", ""))
        refused = validate_gate_set(doc)
        if refused:
            problems += [f"{doc['kind']} {name}: {problem}" for problem in refused]
            continue
        where = (meta.get("namespace") or namespace) if doc["kind"] == "GateSet" else ""
        found[GateSetKey(doc["kind"], name, where)] = doc.get("spec") or {}
    return found, problems
