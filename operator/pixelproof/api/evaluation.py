"""The evaluator's summary: what its Job writes to the pod's termination message.

Kubernetes keeps at most 4096 bytes of a termination message, so the summary is
compact by construction; per-item scores live in the full report it points to."""

from __future__ import annotations

import json

from pydantic import Field

from .base import StatusModel
from .verdicts import Comparison, FinalVerdict

TERMINATION_MESSAGE_LIMIT = 4096


class GateVerdict(StatusModel):
    """One quality gate's verdict."""

    name: str
    """Quality gate name."""
    verdict: FinalVerdict
    """Pass, Fail or Inconclusive."""
    value: float | None = None
    """The measured value."""
    threshold: str | None = None
    """The bound judged against, in words."""
    limit: float | None = None
    """The number the value was held against, when the bound is one; absent from verdicts of
    evaluators that predate it, whose threshold text is then the only record."""
    comparison: Comparison | None = None
    """How the value must compare with limit to pass."""
    reason: str = ""
    """Why the verdict, in words."""
    dry_run: bool | None = None
    """True for a dry-run gate: its verdict never fails or holds the evaluation."""


class EvaluationSummary(StatusModel):
    verdict: FinalVerdict
    reason: str = ""
    gates: list[GateVerdict] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    items: int = 0
    failed_items: list[str] = Field(default_factory=list)
    backbone: str | None = None
    report: str | None = None
    duration_seconds: float | None = None

    def to_termination_message(self) -> str:
        """JSON within the termination-message limit, dropping detail before it drops the verdict."""
        doc = self.to_wire()
        text = json.dumps(doc, separators=(",", ":"))
        for trim in ("failedItems", "scores"):
            if len(text.encode()) <= TERMINATION_MESSAGE_LIMIT:
                break
            doc.pop(trim, None)
            text = json.dumps(doc, separators=(",", ":"))
        while len(text.encode()) > TERMINATION_MESSAGE_LIMIT and doc.get("gates"):
            doc["gates"] = [
                {k: g[k] for k in ("name", "verdict", "dryRun") if k in g} for g in doc["gates"]
            ]
            text = json.dumps(doc, separators=(",", ":"))
            if len(text.encode()) > TERMINATION_MESSAGE_LIMIT:
                doc["gates"] = doc["gates"][: len(doc["gates"]) // 2]
                text = json.dumps(doc, separators=(",", ":"))
        if len(text.encode()) > TERMINATION_MESSAGE_LIMIT:
            doc = {"verdict": doc["verdict"], "reason": str(doc.get("reason", ""))[:3000]}
            text = json.dumps(doc, separators=(",", ":"))
        return text
