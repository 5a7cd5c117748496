"""`pixelproof-evaluator record`: run the prompt recorder until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from datetime import timedelta
from pathlib import Path

from pixelproof.api.evaluator_invocation import positive_count
from pixelproof.running import stop_on_signals

from .redaction import Redactor
from .server import DEFAULT_MAX_BODY_BYTES, RecorderServer
from .store import SampleStore

log = logging.getLogger("pixelproof_evaluator.recorder")
_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(
            f"duration {text!r} must be a positive whole number of s, m, h or d, e.g. 1h"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="port to serve on (default 8080)")
    parser.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    parser.add_argument(
        "--max-count", type=positive_count, required=True, help="most records the sample keeps"
    )
    parser.add_argument(
        "--retention", type=parse_duration, required=True, help="drop records older than this (1h)"
    )
    parser.add_argument(
        "--redact",
        action="append",
        default=[],
        metavar="REGEX",
        help="replace matches in prompts before storing, repeatable",
    )
    parser.add_argument("--data-dir", type=Path, help="folder to persist the sample in (JSONL)")
    parser.add_argument(
        "--max-body-bytes",
        type=positive_count,
        default=DEFAULT_MAX_BODY_BYTES,
        help=f"larger request bodies get 413 (default {DEFAULT_MAX_BODY_BYTES})",
    )


def record_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pixelproof-evaluator record", description=__doc__.splitlines()[0]
    )
    add_record_arguments(parser)
    return run_record(parser.parse_args(argv))


def run_record(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        redactor = Redactor(args.redact)
        store = SampleStore(args.max_count, args.retention, data_dir=args.data_dir)
        server = RecorderServer(
            store, redactor, port=args.port, host=args.host, max_body_bytes=args.max_body_bytes
        ).start()
    except (ValueError, OSError) as exc:
        print(f"error: recorder: {exc}", file=sys.stderr)
        return 2
    done = stop_on_signals()
    log.info(
        "recording on %s: max-count %d, retention %s, %d redaction patterns, %d records kept",
        server.url,
        store.max_count,
        store.retention,
        len(redactor.patterns),
        len(store),
    )
    try:
        done.wait()
    finally:
        server.stop()
    return 0
