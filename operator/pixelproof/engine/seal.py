"""The operator's seal on the status it writes, and what a status read back turns out to be.

The seal is a plain sha256, not a keyed MAC: anyone who can write the status could also
recompute it. It guards against accidental and casual edits (a `kubectl patch
--subresource=status`, a GitOps tool restoring an old status), which change fields
without knowing to reseal them; it is no defence against someone set on forging one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from pixelproof.api.status import RolloutStatus

# What the operator rewrites from scratch on every decision, so an edit to it misleads no
# decision: conditions (with their transition times), the progress message and the hold.
_UNSEALED = frozenset({"digest", "conditions", "message", "waitingOn"})

Trust = Literal["sealed", "unsealed", "tampered", "unreadable"]


@dataclass(frozen=True)
class StatusReading:
    """A stored status as read back: `model` is None only when it is unreadable."""

    trust: Trust
    model: RolloutStatus | None
    raw: Mapping[str, Any]
    problem: str = ""


def status_digest(status: RolloutStatus) -> str:
    # Through the model, so what the API server normalises on the way (schema defaults,
    # 1.0 stored as 1) reads back to the same digest.
    wire = {k: v for k, v in status.to_wire().items() if k not in _UNSEALED}
    canonical = json.dumps(wire, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def seal(status: RolloutStatus) -> None:
    status.digest = status_digest(status)


def read_status(stored: object) -> StatusReading:
    """What a stored status is: sealed by the operator, written before seals existed
    (unsealed), changed since the operator sealed it (tampered), or unreadable."""
    if stored is None:
        return StatusReading("sealed", RolloutStatus(), {})
    if not isinstance(stored, Mapping):
        return StatusReading(
            "unreadable", None, {}, f"status is a {type(stored).__name__}, not an object"
        )
    try:
        model = RolloutStatus.model_validate(dict(stored))
    except ValidationError as exc:
        return StatusReading("unreadable", None, stored, _first_error(exc))
    if not stored:
        return StatusReading("sealed", model, stored)
    if not model.digest:
        return StatusReading("unsealed", model, stored)
    if model.digest != status_digest(model):
        return StatusReading(
            "tampered", model, stored, "status differs from what the operator last wrote"
        )
    return StatusReading("sealed", model, stored)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
