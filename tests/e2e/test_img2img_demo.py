"""`pixelproof demo --task upscale|inpaint`, run as users run it: the real operator on the
local Kubernetes API, real Prometheus, reference generator processes serving /upscale and
/inpaint, and the real evaluator sending the golden set's input images. The faulty upscaler
(wrong scale factor) and the inpainter whose repaint bleeds past the mask are rolled back by
the gate made for them; the good ones reach 100 %."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pixelproof_demo.environment import child_environment

pytestmark = pytest.mark.slow


# The demo may take its whole --timeout on a loaded machine; the suite's 300 s is shorter.
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    ("task", "faulty", "good", "gate"),
    [
        ("upscale", "upscaler-v3", "upscaler-v2", "outputSize"),
        ("inpaint", "inpainter-v3", "inpainter-v2", "preservation"),
    ],
)
def test_demo_rolls_back_the_faulty_image_to_image_candidate(
    tmp_path: Path, task: str, faulty: str, good: str, gate: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pixelproof.cli", "demo", "--task", task, "--timeout", "540"],
        capture_output=True,
        text=True,
        timeout=720,
        env=child_environment(),
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1].endswith("demo passed")
    caught = next(line for line in lines if f"{faulty}: RolledBack as expected" in line)
    assert gate in caught, caught
    reason = next(line for line in lines if "  reason: evaluation failed" in line)
    assert gate in reason, reason
    assert any(f"{good}: Succeeded as expected, candidate at 100 %" in line for line in lines)
