"""The pixelproof command behaves in a pipeline as command-line tools do."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    """`pixelproof --help | head -1` closes the pipe after one line; the rest of the output
    has nowhere to go, and that is not an error worth a traceback."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pixelproof.cli", "--help"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(sys.path)},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 1
    assert done.stderr == ""
