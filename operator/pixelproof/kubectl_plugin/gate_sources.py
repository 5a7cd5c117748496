"""Lines of `kubectl pixelproof status` about where a rollout's gates come from and which
revisions it may return to without running its steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def gate_source_lines(spec: Mapping[str, Any], status: Mapping[str, Any]) -> list[str]:
    out = []
    refs = [r for r in spec.get("gateSets") or [] if isinstance(r, Mapping)]
    if refs:
        names = ", ".join(f"{r.get('kind', 'GateSet')} {r.get('name', '')}" for r in refs)
        out.append(f"Gate sets:   {names}")
    window = spec.get("rollbackWindow")
    if isinstance(window, Mapping):
        bounds = [f"{window['revisions']} revisions"] if window.get("revisions") else []
        bounds += [f"promoted within {window['duration']}"] if window.get("duration") else []
        out.append(f"Rollback window: {', '.join(bounds)}")
    if status.get("fastTracked"):
        out.append(f"Steps skipped: {status['fastTracked']}")
    promoted = [p for p in status.get("promotedRevisions") or [] if isinstance(p, Mapping)]
    if promoted:
        out.append("Promoted revisions (newest first):")
        out += [
            f"  {p.get('revision', '')} {p.get('deployment', '')} at {p.get('promotedAt', '')}"
            for p in promoted
        ]
    return out
