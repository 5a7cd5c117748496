"""Download the LPIPS AlexNet backbone at image build time and check its sha256.

torch does not check a file it finds in its hub cache, so the image build does: a
file whose digest is not the pinned one never lands where the evaluator looks."""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

# install.sh runs this with the image's Python once the evaluator is installed there.
from pixelproof_evaluator.lpips_weights import ALEXNET_SHA256, ALEXNET_URL, file_sha256

ATTEMPTS = 3
TIMEOUT_SECONDS = 60
BACKOFF_SECONDS = 2.0


class WeightsError(Exception):
    """The weights could not be fetched or are not the pinned file."""


def _download(url: str, partial: Path) -> None:
    last_error: Exception | None = None
    for attempt in range(ATTEMPTS):
        try:
            with (
                urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response,
                partial.open("wb") as out,
            ):
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            return
        except (urllib.error.URLError, OSError) as exc:
            last_error = exc
            if attempt + 1 < ATTEMPTS:
                time.sleep(BACKOFF_SECONDS * 2**attempt)
    raise WeightsError(f"cannot download {url} after {ATTEMPTS} attempts: {last_error}")


def fetch(url: str, sha256: str, into: Path) -> Path:
    """The verified file in `into`, downloading it unless a verified copy is already there."""
    target = into / url.rsplit("/", 1)[-1]
    if target.is_file() and file_sha256(target) == sha256:
        return target
    into.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        _download(url, partial)
        actual = file_sha256(partial)
        if actual != sha256:
            raise WeightsError(f"{url}: sha256 is {actual}, expected the pinned {sha256}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, required=True, help="folder for the weights file")
    parser.add_argument("--url", default=ALEXNET_URL)
    parser.add_argument("--sha256", default=ALEXNET_SHA256)
    args = parser.parse_args(argv)
    try:
        path = fetch(args.url, args.sha256.lower(), args.into)
    except WeightsError as exc:
        print(f"fetch_weights: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
