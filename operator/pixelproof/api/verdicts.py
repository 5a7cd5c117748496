"""Verdicts shared by metric gates, quality gates and whole evaluations."""

from __future__ import annotations

from typing import Literal

FinalVerdict = Literal["Pass", "Fail", "Inconclusive"]
"""A finished judgement: of one quality gate, of a whole evaluation, as the evaluator writes it."""
Verdict = Literal[FinalVerdict, "Pending"]
EvaluationState = Literal["Running", FinalVerdict]
Comparison = Literal["<=", ">="]
"""How a gate's value must compare with its limit to pass."""
