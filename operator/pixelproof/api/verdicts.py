"""Verdicts shared by metric gates, quality gates and whole evaluations."""

from __future__ import annotations

from typing import Literal

Verdict = Literal["Pass", "Fail", "Inconclusive", "Pending"]
EvaluationState = Literal["Running", "Pass", "Fail", "Inconclusive"]
