"""`pixelproof lint FILE...`: check ModelRollout manifests offline, as the API server would."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from pixelproof.api.validation import validate_modelrollout


def lint_file(path: Path) -> list[str]:
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path}: cannot read YAML: {exc}"]
    problems = []
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict) or doc.get("kind") != "ModelRollout":
            continue
        name = (doc.get("metadata") or {}).get("name", f"document {index + 1}")
        problems += [f"{path}: {name}: {error}" for error in validate_modelrollout(doc)]
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
