"""Command line: `python -m pixelproof_evaluator evaluate|capture|calibrate|record|robustness ...`.

Exit status 0 means a verdict (Pass, Fail or Inconclusive) was written, unless
--fail-exit-code or --inconclusive-exit-code give those verdicts a status of their own (for
runners that judge by exit status alone, such as an Argo Rollouts job metric). Any other
status means the evaluator itself could not run; a summary saying why is still written, so
the operator always has a reason to show."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.evaluator_invocation import (
    EVALUATE,
    EvaluatorInvocation,
    InvocationError,
    InvocationParser,
)

from .calibrate import add_calibrate_arguments, run_calibrate
from .capture import add_capture_arguments, run_capture
from .check_pool import CheckWorkerError
from .checks.classifier import ClassifierError
from .golden import GoldenSetError
from .perceptual import LpipsWeightsError
from .recorder.command import add_record_arguments, run_record
from .robustness_set import add_robustness_arguments, run_robustness
from .termination import write_summary

CAPTURE = "capture"
CALIBRATE = "calibrate"
RECORD = "record"
ROBUSTNESS = "robustness"
EXIT_USAGE = 2
EXIT_ERROR = 1


def _add_golden_commands(sub: argparse._SubParsersAction[Any]) -> None:
    cap = sub.add_parser(
        CAPTURE, help="build or refresh a golden set's references from the stable model"
    )
    add_capture_arguments(cap)
    cal = sub.add_parser(
        CALIBRATE, help="measure the golden set's noise floor from stable-against-stable runs"
    )
    add_calibrate_arguments(cal)
    rob = sub.add_parser(
        ROBUSTNESS, help="derive awkward-input items (JPEG, CMYK, 16-bit, EXIF, ...) from others"
    )
    add_robustness_arguments(rob)


def build_parser(prog: str = "pixelproof_evaluator") -> argparse.ArgumentParser:
    parser = InvocationParser(prog=prog, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser(EVALUATE, help="judge a candidate model against the stable one")
    EvaluatorInvocation.add_arguments(ev)
    _add_golden_commands(sub)
    rec = sub.add_parser(RECORD, help="record mirrored live prompts for live evaluation")
    add_record_arguments(rec)
    return parser


def golden_main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `pixelproof golden capture|calibrate`."""
    parser = argparse.ArgumentParser(prog="pixelproof golden", description="golden set tools")
    _add_golden_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return _run_subcommand(args)


def _run_subcommand(args: argparse.Namespace) -> int:
    if args.command == CAPTURE:
        return run_capture(args)
    if args.command == ROBUSTNESS:
        return run_robustness(args)
    if args.command == RECORD:
        return run_record(args)
    return run_calibrate(args)


def _fail(reason: str, code: int) -> int:
    write_summary(EvaluationSummary(verdict="Inconclusive", reason=reason))
    print(f"error: {reason}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except InvocationError as exc:
        return _fail(f"evaluator arguments: {exc}", EXIT_USAGE)
    if args.command != EVALUATE:
        return _run_subcommand(args)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        invocation = EvaluatorInvocation.from_namespace(args)
    except InvocationError as exc:
        return _fail(f"evaluator arguments: {exc}", EXIT_USAGE)
    from .evaluate import EvaluateOptions, evaluate

    try:
        summary = evaluate(EvaluateOptions.from_invocation(invocation))
    except GoldenSetError as exc:
        return _fail(f"golden set: {exc}", EXIT_ERROR)
    except ClassifierError as exc:
        return _fail(f"classifier: {exc}", EXIT_ERROR)
    except LpipsWeightsError as exc:
        return _fail(f"LPIPS: {exc}", EXIT_ERROR)
    except CheckWorkerError as exc:
        return _fail(f"evaluator could not run: {exc}", EXIT_ERROR)
    except (ValueError, OSError) as exc:
        return _fail(f"evaluator could not run: {exc}", EXIT_ERROR)
    write_summary(summary)
    codes = {
        "Fail": invocation.fail_exit_code,
        "Inconclusive": invocation.inconclusive_exit_code,
    }
    return codes.get(summary.verdict, 0)
