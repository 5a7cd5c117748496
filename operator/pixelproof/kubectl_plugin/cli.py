"""`kubectl pixelproof` commands: get, status, promote, abort, retry, report, lint,
version and completion. This module parses and dispatches; the commands that talk to the
cluster are in handlers.py, imported only when one runs, because completion runs the plugin
on every TAB."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import completion
from .errors import PluginError
from .globalflags import GlobalFlags, split_global_flags


def cmd_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pixelproof.lint import lint_file

    problems = [problem for path in args.files for problem in lint_file(path)]
    for problem in problems:
        print(problem, file=err)
    if not problems:
        print(f"{len(args.files)} file(s) valid", file=out)
    return 1 if problems else 0


def _timeout(text: str) -> float:
    from pixelproof.api.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_version(args: argparse.Namespace, out: TextIO) -> int:
    try:
        version = importlib.metadata.version("pixelproof")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    if args.output:
        from .views import dump

        dump({"name": "kubectl-pixelproof", "version": version}, args.output, out)
    else:
        print(f"kubectl-pixelproof: v{version}", file=out)
    return 0


def cmd_complete(words: Sequence[str], out: TextIO) -> int:
    """Completion never fails loudly: an unreachable cluster just offers no names. The
    cluster client is imported only when names are asked for."""

    def quietly(names: str) -> completion.Lister:
        def run(kubeconfig: str | None, context: str | None, namespace: str | None) -> list[str]:
            from .handlers import LISTERS

            try:
                return LISTERS[names](kubeconfig, context, namespace)
            except PluginError:
                return []

        return run

    try:
        text = completion.complete(words, quietly("rollouts"), quietly("namespaces"))
    except PluginError:
        text = f":{completion.NO_FILE_COMPLETION}"
    print(text, file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubectl pixelproof",
        description="Watch and steer pixelproof ModelRollouts. Commands never edit spec.",
    )
    # Taken out of the line before parsing (globalflags.py): listed here for --help.
    flags = parser.add_argument_group("kubectl flags, accepted anywhere on the line")
    flags.add_argument(
        "--kubeconfig", help="path to the kubeconfig file ($KUBECONFIG, ~/.kube/config)"
    )
    flags.add_argument("--context", help="kubeconfig context to use")
    flags.add_argument("-n", "--namespace", help="namespace (the context's when unset)")
    flags.add_argument(
        "-A", "--all-namespaces", action="store_true", help="get: list every namespace"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    descriptions = completion.COMMANDS

    get = sub.add_parser("get", help=descriptions["get"])
    get.add_argument("name", nargs="?")
    get.add_argument("-o", "--output", choices=["json", "yaml"], help="print the objects")
    get.add_argument(
        "-w", "--watch", action="store_true", help="redraw as it changes until it finishes"
    )
    get.add_argument("--timeout", type=_timeout, help="with --watch: give up after this long")

    status = sub.add_parser("status", help=descriptions["status"])
    status.add_argument("name")
    status.add_argument(
        "-w", "--watch", action="store_true", help="follow changes until the rollout finishes"
    )
    status.add_argument(
        "--timeout", type=_timeout, help="with --watch: give up after this long (e.g. 30m)"
    )

    promote = sub.add_parser("promote", help=descriptions["promote"])
    promote.add_argument("name")
    promote.add_argument(
        "--full", action="store_true", help="skip all remaining steps to full traffic"
    )
    for command in ("abort", "retry", "report"):
        sub.add_parser(command, help=descriptions[command]).add_argument("name")

    lint = sub.add_parser("lint", help=descriptions["lint"] + " against the CRD schema and rules")
    lint.add_argument("files", nargs="+", type=Path)

    version = sub.add_parser("version", help=descriptions["version"])
    version.add_argument("-o", "--output", choices=["json", "yaml"])

    shells = sub.add_parser(
        "completion",
        help=descriptions["completion"],
        description="Print a completion script for kubectl-pixelproof. For `kubectl pixelproof "
        "<TAB>`, put an executable kubectl_complete-pixelproof on PATH that runs "
        '`kubectl-pixelproof __complete "$@"`: kubectl calls it.',
    )
    shells.add_argument("shell", choices=sorted(completion.SCRIPTS))
    return parser


def _parse(argv: Sequence[str]) -> tuple[argparse.Namespace, GlobalFlags]:
    flags, rest = split_global_flags(argv)
    args = build_parser().parse_args(rest)
    args.all_namespaces = flags.all_namespaces
    return args, flags


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["__complete"]:
        return cmd_complete(words[1:], out)
    try:
        args, flags = _parse(words)
        if args.command == "lint":
            return cmd_lint(args, out, err)
        if args.command == "version":
            return cmd_version(args, out)
        if args.command == "completion":
            print(completion.SCRIPTS[args.shell], end="", file=out)
            return 0
        from .handlers import HANDLERS
        from .kube import connect

        target = connect(flags.kubeconfig, flags.context, flags.namespace)
        return HANDLERS[args.command](target, args, out)
    except PluginError as exc:
        print(f"error: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        return 130
