"""`kubectl pixelproof` commands: get, status, promote, abort, retry, report, lint."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pixelproof.api.commands import Command, annotation_for, command_applies_to
from pixelproof.api.durations import parse_duration
from pixelproof.api.status import TERMINAL_PHASES

from .kube import PluginError, Target, connect
from .render import rollout_table, status_view

EXIT_FAILED_ROLLOUT = 1
EXIT_TIMEOUT = 2


def fresh_token(previous: str | None, now: datetime) -> str:
    """A timestamp, made distinct from the previous token so the operator sees a new command."""
    token = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return token if token != previous else f"{token}-1"


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_get(target: Target, args: argparse.Namespace, out: TextIO) -> int:
    items = [target.get(args.name)] if args.name else target.list(args.all_namespaces)
    if not items:
        where = "any namespace" if args.all_namespaces else f"namespace {target.namespace}"
        print(f"No ModelRollouts found in {where}.", file=out)
        return 0
    print(rollout_table(items, _now(), with_namespace=args.all_namespaces), file=out)
    return 0


def _outcome(obj: dict[str, Any]) -> int | None:
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return 0
    if phase in TERMINAL_PHASES:
        return EXIT_FAILED_ROLLOUT
    return None


def cmd_status(target: Target, args: argparse.Namespace, out: TextIO) -> int:
    if not args.watch:
        print(status_view(target.get(args.name), _now()), file=out)
        return 0
    deadline = time.monotonic() + args.timeout if args.timeout else None
    shown = None
    for obj in target.watch(args.name, deadline):
        view = status_view(obj, _now())
        if view != shown:
            if shown is not None:
                print("", file=out)
            print(view, file=out, flush=True)
            shown = view
        result = _outcome(obj)
        if result is not None:
            return result
    print(
        f"Timed out after {args.timeout:g}s waiting for {target.namespace}/{args.name} to finish.",
        file=out,
    )
    return EXIT_TIMEOUT


def _command(command: Command) -> Callable[[Target, argparse.Namespace, TextIO], int]:
    def run(target: Target, args: argparse.Namespace, out: TextIO) -> int:
        effective: Command = "promote-full" if command == "promote" and args.full else command
        obj = target.get(args.name)
        # Refused with the operator's own reason, rather than leaving an annotation it ignores.
        verdict = command_applies_to(obj, effective)
        if not verdict.applies:
            raise PluginError(f"modelrollout {target.namespace}/{args.name}: {verdict.reason}")
        key = annotation_for(effective)
        token = fresh_token((obj["metadata"].get("annotations") or {}).get(key), _now())
        target.annotate(args.name, {key: token})
        print(
            f"modelrollout.pixelproof.dev/{args.name} {effective} requested ({key}={token})",
            file=out,
        )
        return 0

    return run


def cmd_report(target: Target, args: argparse.Namespace, out: TextIO) -> int:
    obj = target.get(args.name)
    evaluation = (obj.get("status") or {}).get("lastEvaluation")
    where = f"{target.namespace}/{args.name}"
    if not evaluation:
        raise PluginError(f"modelrollout {where} has not run an evaluation yet")
    report = evaluation.get("report")
    if not report:
        state = evaluation.get("state", "Running")
        reason = (
            "it is still running" if state == "Running" else f"it ended {state} without a report"
        )
        raise PluginError(
            f"evaluation {evaluation.get('job', '')} of {where} has no report: {reason}"
        )
    print(report, file=out)
    print(
        f"# evaluation {evaluation.get('job', '')}, step {evaluation.get('step', 0) + 1}, "
        f"attempt {evaluation.get('attempt', 1)}: {evaluation.get('state', 'Running')}",
        file=out,
    )
    return 0


def cmd_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pixelproof.lint import lint_file

    problems = [problem for path in args.files for problem in lint_file(path)]
    for problem in problems:
        print(problem, file=err)
    if not problems:
        print(f"{len(args.files)} file(s) valid", file=out)
    return 1 if problems else 0


def _timeout(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubectl pixelproof",
        description="Watch and steer pixelproof ModelRollouts. Commands never edit spec.",
    )
    parser.add_argument(
        "--kubeconfig", help="path to the kubeconfig file ($KUBECONFIG, ~/.kube/config)"
    )
    parser.add_argument("--context", help="kubeconfig context to use")
    parser.add_argument("-n", "--namespace", help="namespace (the context's when unset)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    get = sub.add_parser("get", help="list rollouts: phase, step, weights, last verdict, age")
    get.add_argument("name", nargs="?")
    get.add_argument("-A", "--all-namespaces", action="store_true")

    status = sub.add_parser("status", help="step, weights, gates, last evaluation and conditions")
    status.add_argument("name")
    status.add_argument(
        "-w", "--watch", action="store_true", help="follow changes until the rollout finishes"
    )
    status.add_argument(
        "--timeout", type=_timeout, help="with --watch: give up after this long (e.g. 30m)"
    )

    promote = sub.add_parser("promote", help="pass the current pause or step")
    promote.add_argument("name")
    promote.add_argument(
        "--full", action="store_true", help="skip all remaining steps to full traffic"
    )
    for command, text in (
        ("abort", "return all traffic to stable now"),
        ("retry", "start a rolled-back rollout again"),
    ):
        parser_for = sub.add_parser(command, help=text)
        parser_for.add_argument("name")

    report = sub.add_parser("report", help="where the last evaluation's full report is")
    report.add_argument("name")

    lint = sub.add_parser(
        "lint", help="check ModelRollout files offline against the CRD schema and rules"
    )
    lint.add_argument("files", nargs="+", type=Path)
    return parser


HANDLERS: dict[str, Callable[[Target, argparse.Namespace, TextIO], int]] = {
    "get": cmd_get,
    "status": cmd_status,
    "promote": _command("promote"),
    "abort": _command("abort"),
    "retry": _command("retry"),
    "report": cmd_report,
}


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        if args.command == "lint":
            return cmd_lint(args, out, err)
        target = connect(args.kubeconfig, args.context, args.namespace)
        return HANDLERS[args.command](target, args, out)
    except PluginError as exc:
        print(f"error: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        return 130
