"""The `pixelproof` command. Subcommands import their dependencies lazily, so the
operator image (no torch) and the evaluator image (no kopf) each run their part."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

LOCALSTACK_INSTALL = (
    "pip install -e ./localstack (in a pixelproof checkout; or run: bash .ci/install)"
)
"""The emulator and the demo ship apart from the operator, in the pixelproof-localstack distribution."""

_INSTALLS = {
    "pixelproof_demo": LOCALSTACK_INSTALL,
    "pixelproof_localcluster": LOCALSTACK_INSTALL,
    "kmock": LOCALSTACK_INSTALL,
    "kopf": "pip install 'pixelproof[operator]'",
    "torch": "pip install 'pixelproof[evaluator]'",
}

# name -> (module, function, arguments put before the user's, help)
SUBCOMMANDS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "demo": ("pixelproof_demo.cli", "main", (), "run the complete local rollout demo"),
    "simulate": (
        "pixelproof.simulation.cli",
        "main",
        (),
        "play a ModelRollout through the engine in the terminal",
    ),
    "operator": ("pixelproof.controller.main", "main", (), "run the operator"),
    "crd": ("pixelproof.api.crd", "main", (), "generate (or --check) the CRD from the API models"),
    "lint": (
        "pixelproof.lint",
        "main",
        (),
        "check ModelRollout files offline against the CRD schema and CEL rules",
    ),
    "evaluate": (
        "pixelproof_evaluator.cli",
        "main",
        ("evaluate",),
        "run the evaluator against a golden set",
    ),
    "golden": (
        "pixelproof_evaluator.cli",
        "golden_main",
        (),
        "golden set tools: `pixelproof golden capture|calibrate|robustness --help`",
    ),
    "localcluster": (
        "pixelproof_localcluster.__main__",
        "main",
        (),
        "serve a local Kubernetes API emulator",
    ),
}


def _usage() -> str:
    lines = ["usage: pixelproof COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<13} {help_}" for name, (_, _, _, help_) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:
        # The reader stopped early (`pixelproof --help | head -1`), as readers do: no
        # traceback, and stdout pointed at nothing so the flush at exit raises none either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if args[0] not in SUBCOMMANDS:
        print(f"pixelproof: unknown command {args[0]!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, func_name, prefix, _ = SUBCOMMANDS[args[0]]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        install = _INSTALLS.get(missing, "install the pixelproof extra that provides it")
        print(f"pixelproof {args[0]}: {missing!r} is not installed: {install}", file=sys.stderr)
        return 2
    func: Callable[[list[str]], int] = getattr(module, func_name)
    return int(func([*prefix, *args[1:]]) or 0)


if __name__ == "__main__":
    sys.exit(main())
