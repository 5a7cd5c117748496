"""Environment for the child processes of the stack (generators, evaluators): this Python,
and the folders its pixelproof packages are imported from, so a source checkout works as
well as an installed package."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path

_PACKAGES = (
    "pixelproof",
    "pixelproof_evaluator",
    "pixelproof_refgen",
    "pixelproof_localcluster",
    "pixelproof_demo",
)


def package_roots() -> list[str]:
    roots: list[str] = []
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        root = str(Path(spec.origin).resolve().parent.parent)
        if root not in roots:
            roots.append(root)
    return roots


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    paths = package_roots() + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


PYTHON = sys.executable
