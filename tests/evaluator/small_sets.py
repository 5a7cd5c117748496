"""Small golden sets written and evaluated in one call, for tests that need a real run
through the generator API on tiny images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate
from pixelproof_evaluator.golden import GoldenItemSpec, write_manifest

CONTRACT = GeneratorContract(timeout_seconds=30)


def tiny_golden(folder: Path, count: int, side: int, prefix: str = "tile") -> Path:
    """A manifest of `count` plain scenes; references still to be captured."""
    folder.mkdir()
    specs = [
        GoldenItemSpec(id=f"{prefix}-{i}", prompt=f"a {prefix} {i}", seed=i, size=f"{side}x{side}")
        for i in range(count)
    ]
    write_manifest(folder / "golden.yaml", specs)
    return folder


def evaluate_on(
    golden: Path,
    stable: str,
    candidate: str,
    gates: QualityGates,
    out: Path,
    models: Models,
    **options: Any,
) -> EvaluationSummary:
    return evaluate(
        EvaluateOptions(
            stable_url=stable,
            candidate_url=candidate,
            contract=CONTRACT,
            gates=gates,
            out=out,
            golden=golden,
            **options,
        ),
        models,
    )
