"""`pixelproof lint FILE...`: check ModelRollout, GateSet and ClusterGateSet manifests
offline, as the API server would, and as the operator would before it acts (metric gate
query templates included)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from pixelproof.api.gatesets import GATE_SET_KINDS
from pixelproof.api.validation import validate_gate_set, validate_modelrollout

NAME_EXCERPT = 63


def read_documents(path: Path) -> list[Any]:
    """The YAML documents in `path`, empty ones left out. Raises ValueError saying why
    the file cannot be read."""
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read YAML: {exc}") from exc
    except RecursionError as exc:
        raise ValueError("cannot read YAML: it nests too deeply") from exc


def document_name(doc: dict[str, Any], index: int) -> str:
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        return f"document {index + 1}"
    return name if len(name) <= NAME_EXCERPT else name[: NAME_EXCERPT - 3] + "..."


def lint_file(path: Path) -> list[str]:
    try:
        documents = read_documents(path)
    except ValueError as exc:
        return [f"{path}: {exc}"]
    problems = []
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict):
            continue
        kind = doc.get("kind")
        if kind == "ModelRollout":
            errors = validate_modelrollout(doc)
        elif kind in GATE_SET_KINDS:
            errors = validate_gate_set(doc)
        else:
            continue
        name = document_name(doc, index)
        problems += [f"{path}: {name}: {error}" for error in errors]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pixelproof lint", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    problems = [p for f in args.files for p in lint_file(f)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(args.files)} file(s) valid")
    return 1 if problems else 0
