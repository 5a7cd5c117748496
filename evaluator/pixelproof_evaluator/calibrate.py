"""Calibrate: measure a captured golden set's noise floor by running the stable model against
itself (A/A) several times, and write calibration.json beside the manifest."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

from .calibration import Calibration, from_runs, write_calibration
from .capture import parse_generator
from .checker import EvaluationConfig
from .client import RetryPolicy
from .golden import GoldenSetError, load_golden_dir
from .perceptual import LpipsScorer, build_scorer, warn_random_backbone
from .results import ItemResult
from .runner import run_evaluation

DEFAULT_RUNS = 4


def calibrate(
    golden: Path,
    stable_url: str,
    contract: GeneratorContract,
    *,
    runs: int = DEFAULT_RUNS,
    concurrency: int = 4,
    scorer: LpipsScorer | None = None,
    retry: RetryPolicy | None = None,
) -> Calibration:
    """Runs `runs` A/A evaluations of the stable model and records the floors."""
    golden_set = load_golden_dir(golden)
    scorer = scorer or build_scorer()
    warn_random_backbone(scorer.backbone)
    config = EvaluationConfig(
        stable_url=stable_url,
        candidate_url=stable_url,
        contract=contract,
        gates=QualityGates(),
        concurrency=concurrency,
        retry=retry or RetryPolicy(),
    )
    measured: list[list[ItemResult]] = []
    for _ in range(runs):
        results, _stats = asyncio.run(run_evaluation(golden_set.items, config, scorer, None))
        measured.append(results)
    calibration = from_runs(measured, scorer.backbone)
    write_calibration(golden_set.root, calibration)
    return calibration


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--golden", type=Path, required=True, help="captured golden set folder or manifest file"
    )
    parser.add_argument("--stable", required=True, help="base URL of the stable model")
    parser.add_argument("--generator", default="{}", help="GeneratorContract as JSON (camelCase)")
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="A/A runs (more runs, a truer floor)"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lpips-weights", help="AlexNet weights file the evaluations will use")


def run_calibrate(args: argparse.Namespace) -> int:
    contract = parse_generator(args.generator)
    if contract is None:
        return 2
    if args.runs < 2:
        print("error: --runs must be at least 2 to see any spread", file=sys.stderr)
        return 2
    try:
        calibration = calibrate(
            args.golden,
            args.stable,
            contract,
            runs=args.runs,
            concurrency=args.concurrency,
            scorer=build_scorer(args.lpips_weights),
        )
    except GoldenSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"calibrated {len(calibration.items)} items over {calibration.runs} A/A runs "
        f"(LPIPS backbone {calibration.backbone})"
    )
    return 0
