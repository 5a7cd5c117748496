"""`pixelproof simulate` with gate sets from the file, dry-run gates and the rollback window."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pixelproof.simulation.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "poster-gen-gate-sets.yaml"


def test_the_example_merges_its_sets_and_returns_at_once_to_a_proven_revision(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([str(EXAMPLE), "--and-back", "--max-ticks", "200"]) == 0
    out = capsys.readouterr().out
    legs = out.split("-- rolling out ")
    assert len(legs) == 3
    for gate in ("error-rate", "restarts", "latency-p95"):
        assert f"GatePass                 gate {gate}:" in legs[0]
    assert "DryRunGatePass           dry-run gate gpu-seconds" in legs[0]
    assert "StepsSkipped" not in legs[0] + legs[1]
    assert "candidate 5%" in legs[1]
    assert "StepsSkipped" in legs[2] and "candidate 5%" not in legs[2]


def test_a_set_missing_from_the_files_stalls_the_simulated_rollout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = list(yaml.safe_load_all(EXAMPLE.read_text()))
    alone = tmp_path / "rollout.yaml"
    alone.write_text(yaml.safe_dump(docs[2]))
    assert main([str(alone), "--max-ticks", "5"]) == 1
    out = capsys.readouterr().out
    assert "MissingDependency" in out
    assert "ClusterGateSet serving-basics, GateSet imagegen/poster-quality not found" in out
    sets = tmp_path / "sets.yaml"
    sets.write_text(yaml.safe_dump_all(docs[:2]))
    assert main([str(alone), "--gate-sets", str(sets), "--max-ticks", "200"]) == 0


def test_a_gate_set_the_api_server_would_refuse_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "sets.yaml"
    broken.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "pixelproof.dev/v1alpha1",
                "kind": "GateSet",
                "metadata": {"name": "poster-quality"},
                "spec": {"qualityGates": {"lpips": {}}},
            }
        )
    )
    assert main([str(EXAMPLE), "--gate-sets", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}: GateSet poster-quality: spec.qualityGates.lpips: give maxMean" in err
