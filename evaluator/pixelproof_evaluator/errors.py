"""The root of every error the evaluator raises on purpose: bad input, a broken golden set,
missing weights. A caller catches EvaluatorError apart from a bug."""

from __future__ import annotations


class EvaluatorError(Exception):
    """A failure the evaluator recognised; the message says what and where."""
