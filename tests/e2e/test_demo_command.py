"""`pixelproof demo`, run as users run it: a separate process, output not a terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pixelproof_demo.environment import child_environment

pytestmark = pytest.mark.slow


def _demo(tmp_path: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixelproof.cli", "demo", "--out", str(tmp_path / "out"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_environment(),
        cwd=tmp_path,
    )


# The demo runs a golden and a live evaluation per rollout; the subprocess and the demo's own
# --timeout bound it, not the suite's default per-test limit.
@pytest.mark.timeout(660)
def test_demo_rolls_back_the_faulty_candidate_and_promotes_the_good_one(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--timeout", "420", timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1].endswith("demo passed")
    caught = next(line for line in lines if "poster-gen-v3: RolledBack as expected" in line)
    assert "sharpness" in caught and "threshold" in caught
    assert any("poster-gen-v2: Succeeded as expected, candidate at 100 %" in line for line in lines)
    reports = [Path(line.strip()) for line in lines if line.strip().endswith("report.html")]
    assert len(reports) == 2
    assert all(report.is_file() for report in reports)
    assert "\x1b[" not in result.stdout, "escape codes written to a stream that is not a terminal"


def test_demo_names_an_unknown_fault(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--fault", "melt=1", timeout=120)
    assert result.returncode == 2
    assert "unknown fault 'melt'" in result.stderr
