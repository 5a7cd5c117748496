"""The commands that talk to the cluster: reading a rollout, steering it through its
command annotations, and listing names for completion. Imported only when a command needs
the cluster, so `--help`, `version`, `completion` and completing a command's name start
without a Kubernetes client or the API models."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from pixelproof.api.commands import Command, annotation_for, command_applies_to
from pixelproof.kube import NAMESPACES

from .completion import Lister
from .errors import PluginError
from .kube import Target, connect
from .views import cmd_get, cmd_status, now


def fresh_token(previous: str | None, now: datetime) -> str:
    """A timestamp, made distinct from the previous token so the operator sees a new command."""
    token = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return token if token != previous else f"{token}-1"


def _command(command: Command) -> Callable[[Target, argparse.Namespace, TextIO], int]:
    def run(target: Target, args: argparse.Namespace, out: TextIO) -> int:
        effective: Command = "promote-full" if command == "promote" and args.full else command
        obj = target.get(args.name)
        # Refused with the operator's own reason, rather than leaving an annotation it ignores.
        verdict = command_applies_to(obj, effective)
        if not verdict.applies:
            raise PluginError(f"modelrollout {target.namespace}/{args.name}: {verdict.reason}")
        key = annotation_for(effective)
        token = fresh_token((obj["metadata"].get("annotations") or {}).get(key), now())
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


def rollout_names(kubeconfig: str | None, context: str | None, namespace: str | None) -> list[str]:
    target = connect(kubeconfig, context, namespace)
    return [o["metadata"]["name"] for o in target.list(False)]


def namespace_names(
    kubeconfig: str | None, context: str | None, namespace: str | None
) -> list[str]:
    target = connect(kubeconfig, context, namespace)
    return [n["metadata"]["name"] for n in target.list_of(NAMESPACES, "")]


HANDLERS: dict[str, Callable[[Target, argparse.Namespace, TextIO], int]] = {
    "get": cmd_get,
    "status": cmd_status,
    "promote": _command("promote"),
    "abort": _command("abort"),
    "retry": _command("retry"),
    "report": cmd_report,
}

# Names for completion, by what the completed word names.
LISTERS: dict[str, Lister] = {
    "rollouts": rollout_names,
    "namespaces": namespace_names,
}
