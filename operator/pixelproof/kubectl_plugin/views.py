"""The commands that only read: `get` (a table, one rollout's tree, -o json|yaml,
--watch) and `status` (--watch). Watching exits 0 when the rollout succeeds, 1 when it
rolls back or fails, 2 at the timeout, so scripts can wait on either."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from typing import Any, TextIO

import yaml

from pixelproof.api.status import TERMINAL_PHASES

from .errors import PluginError
from .kube import Target
from .render import rollout_table, status_view
from .style import Style, wants_colour
from .tree import tree_view, tree_views

EXIT_FAILED_ROLLOUT = 1
EXIT_TIMEOUT = 2


def now() -> datetime:
    return datetime.now(UTC)


def dump(document: Any, output: str, out: TextIO) -> None:
    if output == "json":
        print(json.dumps(document, indent=2), file=out)
    else:
        print(yaml.safe_dump(document, sort_keys=False), end="", file=out)


def cmd_get(target: Target, args: argparse.Namespace, out: TextIO) -> int:
    if args.watch:
        return _watch_get(target, args, out)
    if args.name:
        obj = target.get(args.name)
        if args.output:
            dump(obj, args.output, out)
        else:
            print(tree_view(target, obj, now(), Style(wants_colour(out))), file=out)
        return 0
    items = target.list(args.all_namespaces)
    if args.output:
        dump({"apiVersion": "v1", "kind": "List", "items": items}, args.output, out)
        return 0
    if not items:
        where = "any namespace" if args.all_namespaces else f"namespace {target.namespace}"
        print(f"No ModelRollouts found in {where}.", file=out)
        return 0
    print(rollout_table(items, now(), with_namespace=args.all_namespaces), file=out)
    return 0


WATCH_POLL_SECONDS = 1.0
CLEAR_SCREEN = "\033[H\033[2J"


def _watch_get(target: Target, args: argparse.Namespace, out: TextIO) -> int:
    """Redraw the tree whenever it changes (pods and Jobs too, so it polls rather than
    watching the rollout alone), until the rollout finishes or the timeout. A terminal
    redraws in place, ages included; other output gets a new view only when more than
    the ages changed."""
    if not args.name:
        raise PluginError("get --watch follows one rollout: name it")
    deadline = time.monotonic() + args.timeout if args.timeout else None
    style = Style(wants_colour(out))
    shown = None
    while True:
        obj = target.get(args.name)
        if args.output == "json":
            view = key = json.dumps(obj, indent=2)
        else:
            view, key = tree_views(target, obj, now(), style)
        if (view if style.colour else key) != shown:
            if style.colour:
                print(CLEAR_SCREEN, end="", file=out)
            elif shown is not None:
                print("", file=out)
            print(view, file=out, flush=True)
            shown = view if style.colour else key
        result = outcome(obj)
        if result is not None:
            return result
        if deadline is not None and time.monotonic() >= deadline:
            print(
                f"Timed out after {args.timeout:g}s waiting for {target.namespace}/{args.name} to finish.",
                file=out,
            )
            return EXIT_TIMEOUT
        time.sleep(WATCH_POLL_SECONDS)


def outcome(obj: dict[str, Any]) -> int | None:
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return 0
    if phase in TERMINAL_PHASES:
        return EXIT_FAILED_ROLLOUT
    return None


def cmd_status(target: Target, args: argparse.Namespace, out: TextIO) -> int:
    if not args.watch:
        print(status_view(target.get(args.name), now()), file=out)
        return 0
    deadline = time.monotonic() + args.timeout if args.timeout else None
    shown = None
    for obj in target.watch(args.name, deadline):
        view = status_view(obj, now())
        if view != shown:
            if shown is not None:
                print("", file=out)
            print(view, file=out, flush=True)
            shown = view
        result = outcome(obj)
        if result is not None:
            return result
    print(
        f"Timed out after {args.timeout:g}s waiting for {target.namespace}/{args.name} to finish.",
        file=out,
    )
    return EXIT_TIMEOUT
