"""The `pixelproof-evaluator` entry point. `record` is dispatched before the evaluator's
modules load: the recorder runs for a rollout's whole life beside the data plane, and has
no use for the image and model libraries the other commands import."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["record"]:
        from .recorder.command import record_main

        return record_main(args[1:])
    from .cli import main as cli_main

    return cli_main(args)
