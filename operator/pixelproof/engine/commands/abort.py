"""abort: all traffic back to stable now."""

from __future__ import annotations

from ..context import Context
from ..endings import end
from ..outcome import Stop


def abort(ctx: Context) -> None:
    end(ctx, Stop("RolledBack", "aborted by command", cause="Aborted"))
