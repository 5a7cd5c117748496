"""Command line: `python -m pixelproof_evaluator evaluate|capture ...`.

Exit status 0 means a verdict (pass, fail or inconclusive) was written, unless
--fail-exit-code or --inconclusive-exit-code give those verdicts a status of their own (for
runners that judge by exit status alone, such as an Argo Rollouts job metric). Any other
status means the evaluator itself could not run; a summary saying why is still written, so
the operator always has a reason to show."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

from .capture import add_capture_arguments, run_capture
from .errors import EvaluatorError
from .golden import GoldenSetError
from .perceptual import WEIGHTS_ENV, LpipsWeightsError
from .termination import write_summary

EXIT_USAGE = 2
EXIT_ERROR = 1


class UsageError(EvaluatorError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _json_model(kind: type[GeneratorContract] | type[QualityGates], flag: str, text: str) -> Any:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{flag} is not valid JSON: {exc}") from exc
    try:
        return kind.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise UsageError(f"{flag} is invalid: {problems}") from exc


def _exit_code(text: str) -> int:
    code = int(text)
    if not 0 <= code <= 255:
        raise argparse.ArgumentTypeError(f"exit status {code} is outside 0..255")
    return code


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pixelproof_evaluator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="judge a candidate model against the stable one")
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--golden", type=Path, help="golden set folder or manifest file")
    source.add_argument("--golden-url", help="https URL of a golden set archive (tar.gz or zip)")
    ev.add_argument("--golden-sha256", help="pinned sha256 of the --golden-url archive")
    ev.add_argument("--stable", required=True, help="base URL of the stable model's Service")
    ev.add_argument("--candidate", required=True, help="base URL of the candidate model's Service")
    ev.add_argument("--generator", default="{}", help="GeneratorContract as JSON (camelCase)")
    ev.add_argument("--gates", required=True, help="QualityGates as JSON (camelCase)")
    ev.add_argument(
        "--tags", type=_tags, default=[], help="only items with any of these tags (a,b)"
    )
    ev.add_argument("--concurrency", type=int, default=4, help="requests in flight per model")
    ev.add_argument(
        "--out", type=Path, required=True, help="folder for report.json and report.html"
    )
    ev.add_argument("--lpips-weights", help=f"AlexNet weights file (default: ${WEIGHTS_ENV})")
    for verdict in ("fail", "inconclusive"):
        ev.add_argument(
            f"--{verdict}-exit-code",
            type=_exit_code,
            default=0,
            help=f"exit status after writing a {verdict} verdict (default 0)",
        )
    ev.add_argument("--verbose", action="store_true")
    cap = sub.add_parser(
        "capture", help="build or refresh a golden set's references from the stable model"
    )
    add_capture_arguments(cap)
    return parser


def _fail(reason: str, code: int) -> int:
    write_summary(EvaluationSummary(verdict="inconclusive", reason=reason))
    print(f"error: {reason}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return _fail(f"evaluator arguments: {exc}", EXIT_USAGE)
    if args.command == "capture":
        return run_capture(args)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        contract = _json_model(GeneratorContract, "--generator", args.generator)
        gates = _json_model(QualityGates, "--gates", args.gates)
        if args.concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if args.golden_url is not None and not args.golden_sha256:
            raise UsageError("--golden-url needs --golden-sha256")
    except UsageError as exc:
        return _fail(f"evaluator arguments: {exc}", EXIT_USAGE)
    from .evaluate import EvaluateOptions, evaluate

    options = EvaluateOptions(
        stable_url=args.stable,
        candidate_url=args.candidate,
        contract=contract,
        gates=gates,
        out=args.out,
        golden=args.golden,
        golden_url=args.golden_url,
        golden_sha256=args.golden_sha256,
        tags=args.tags,
        concurrency=args.concurrency,
        lpips_weights=args.lpips_weights,
    )
    try:
        summary = evaluate(options)
    except GoldenSetError as exc:
        return _fail(f"golden set: {exc}", EXIT_ERROR)
    except LpipsWeightsError as exc:
        return _fail(f"LPIPS: {exc}", EXIT_ERROR)
    except (ValueError, OSError) as exc:
        return _fail(f"evaluator could not run: {exc}", EXIT_ERROR)
    write_summary(summary)
    verdict_codes = {"fail": args.fail_exit_code, "inconclusive": args.inconclusive_exit_code}
    return int(verdict_codes.get(summary.verdict, 0))
