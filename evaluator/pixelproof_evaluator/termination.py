"""Delivers the compact summary: to the pod's termination message, where the operator reads
it through the Kubernetes API, and to stdout for the Job's log."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.evaluator_invocation import TERMINATION_LOG_ENV

DEFAULT_TERMINATION_LOG = Path("/dev/termination-log")


def termination_log_path() -> Path | None:
    configured = os.environ.get(TERMINATION_LOG_ENV)
    if configured:
        return Path(configured)
    if DEFAULT_TERMINATION_LOG.exists() and os.access(DEFAULT_TERMINATION_LOG, os.W_OK):
        return DEFAULT_TERMINATION_LOG
    return None


def write_summary(summary: EvaluationSummary) -> str:
    message = summary.to_termination_message()
    path = termination_log_path()
    if path is not None:
        path.write_text(message, encoding="utf-8")
    sys.stdout.write(message + "\n")
    sys.stdout.flush()
    return message
