"""The ModelRollout in docs/traffic-policies.md is valid and is the example the doc points
`pixelproof simulate` at, and that simulation succeeds within the budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pixelproof.api.validation import validate_modelrollout
from pixelproof.simulation.cli import main as simulate

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "traffic-policies.md"
EXAMPLE = REPO / "examples" / "poster-gen-gpu-budget.yaml"


def test_the_documented_rollout_is_valid_and_matches_the_example() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
    rollouts = [
        doc for block in blocks if "kind: ModelRollout" in block for doc in [yaml.safe_load(block)]
    ]
    assert len(rollouts) == 1
    assert validate_modelrollout(rollouts[0]) == []
    assert rollouts[0]["spec"] == yaml.safe_load(EXAMPLE.read_text())["spec"]


def test_the_example_simulates_to_success_within_the_budget(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert simulate([str(EXAMPLE)]) == 0
    printed = capsys.readouterr().out.splitlines()
    asked = [line.split("Replicas", 1)[1] for line in printed if "Replicas" in line]
    pairs = [tuple(int(n) for n in re.findall(r"\d+", text)) for text in asked]
    assert pairs and all(s + c <= 4 for s, c in pairs)
    assert pairs[-1] == (0, 4)
