"""``python -m pixelproof_refgen --port 8081 --fault blur=2``: run the reference generator as a
process until SIGINT or SIGTERM. Prints ``listening on URL`` once the port is bound."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pixelproof.running import stop_on_signals

from .faults import KNOBS, Faults
from .server import RefGenServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pixelproof_refgen",
        description="Reference image generator with injectable faults (see faults.py).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one")
    parser.add_argument("--path", default="/generate", help="generate route (default /generate)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"set a fault knob, repeatable; knobs: {', '.join(KNOBS)}",
    )
    parser.add_argument("--port-file", type=Path, help="write the bound port to this file")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        faults = Faults.from_cli(args.fault)
        server = RefGenServer(args.port, faults, host=args.host, path=args.path).start()
    except (ValueError, OSError) as error:
        print(f"pixelproof-refgen: {error}", file=sys.stderr)
        return 2
    done = stop_on_signals()
    if args.port_file is not None:
        # Written beside and renamed, so a reader never sees a half-written file.
        partial = args.port_file.with_name(args.port_file.name + ".partial")
        partial.write_text(f"{server.port}\n")
        partial.replace(args.port_file)
    print(f"listening on {server.url}{args.path} faults={faults.active() or 'none'}", flush=True)
    try:
        done.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
