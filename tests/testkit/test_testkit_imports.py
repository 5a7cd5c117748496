"""Test modules of different folders run in one pytest call: they share helpers through the
pixelproof_testkit package, never through a module name that only one folder's path holds."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ACROSS_FOLDERS = (
    "tests/e2e/test_demo_command.py",
    "tests/shipping/test_chart_render.py",
    "tests/operator/test_operator_rollout.py",
    "tests/metrics/test_metrics_sampler.py",
)


def test_files_of_four_folders_collect_in_one_run() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *ACROSS_FOLDERS,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    collected = {line.split("::", 1)[0] for line in done.stdout.splitlines() if "::" in line}
    assert collected == set(ACROSS_FOLDERS), done.stdout[-4000:]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_no_test_module_imports_a_conftest_or_a_sibling_file() -> None:
    offenders = {}
    for path in sorted((REPO / "tests").rglob("*.py")):
        if "support" in path.relative_to(REPO / "tests").parts:
            continue
        siblings = {p.stem for p in path.parent.glob("*.py")} - {path.stem}
        bare = _imported_modules(path) & (siblings | {"conftest"})
        if bare and path.parent.name != "evaluator":
            offenders[str(path.relative_to(REPO))] = sorted(bare)
    assert offenders == {}
