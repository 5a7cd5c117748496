"""What the stack needs on this machine, checked before anything starts, so a missing piece
is one clear message naming the command that installs it."""

from __future__ import annotations

import importlib.util

from pixelproof.cli import LOCALSTACK_INSTALL
from pixelproof.errors import PixelproofError

from .prometheus import PrometheusMissing, find_prometheus

_PYTHON_PACKAGES: tuple[tuple[str, str], ...] = (
    ("torch", "pip install torch==2.13.0 (the CPU build; or run: bash .ci/install)"),
    ("lpips", "pip install 'pixelproof[evaluator]'"),
    ("rapidocr_onnxruntime", "pip install 'pixelproof[evaluator]'"),
    ("kopf", "pip install 'pixelproof[operator]'"),
    ("kmock", LOCALSTACK_INSTALL),
    ("rich", LOCALSTACK_INSTALL),
)


def missing_prerequisites() -> list[str]:
    """One line per missing prerequisite: what is missing and how to install it."""
    problems: list[str] = []
    try:
        find_prometheus()
    except PrometheusMissing as exc:
        problems.append(str(exc))
    for module, install in _PYTHON_PACKAGES:
        if importlib.util.find_spec(module) is None:
            problems.append(
                f"the Python package {module!r} is not installed; install it with: {install}"
            )
    return problems


class PrerequisitesMissing(PixelproofError, RuntimeError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def check_prerequisites() -> None:
    problems = missing_prerequisites()
    if problems:
        raise PrerequisitesMissing(problems)
