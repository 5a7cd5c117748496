"""Status conditions whose transition times only move when their status changes."""

from __future__ import annotations

from typing import Any

from pixelproof_localcluster.store import utc_now


def condition(kind: str, status: bool, reason: str, message: str = "") -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
    }


def carry_times(
    previous: list[dict[str, Any]] | None,
    conditions: list[dict[str, Any]],
    update_field: str = "lastProbeTime",
) -> list[dict[str, Any]]:
    by_type = {c.get("type"): c for c in previous or []}
    now = utc_now()
    result = []
    for cond in conditions:
        old = by_type.get(cond["type"])
        unchanged = old is not None and old.get("status") == cond["status"]
        transition = old.get("lastTransitionTime", now) if unchanged and old else now
        updated = old.get(update_field, now) if unchanged and old else now
        result.append({**cond, "lastTransitionTime": transition, update_field: updated})
    return result
