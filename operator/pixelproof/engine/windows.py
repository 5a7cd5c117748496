"""Whether traffic may move forward now: the rollout's change windows, its freezes and
the campaign freezes the operator found, all judged from `now` alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pixelproof.api.windows import ChangeWindows, Window, WindowHold

from .calendar import next_window_start
from .context import Context
from .observations import CampaignFreeze
from .outcome import Wait
from .timefmt import format_time

# Back-to-back freezes and windows alternate at most this often before an opening is found.
_MAX_HOPS = 64


@dataclass(frozen=True)
class Span:
    """A freeze as the engine judges it; `end` None never ends (an unreadable campaign freeze)."""

    label: str
    start: datetime | None
    end: datetime | None

    def holds(self, now: datetime) -> bool:
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)


@dataclass(frozen=True)
class Closed:
    reason: str
    opens_at: datetime | None


def freezes_of(spec: ChangeWindows | None, campaign: Sequence[CampaignFreeze]) -> list[Span]:
    spans = [
        Span(f"freeze {f.reason or 'declared in spec'}", f.start, f.end)
        for f in (spec.freezes if spec else [])
    ]
    if spec is None or spec.campaign_freezes:
        for freeze in campaign:
            if freeze.problem is not None:
                # It was meant to stop changes: until it reads, it stops them.
                spans.append(
                    Span(f"freeze {freeze.source} unreadable: {freeze.problem}", None, None)
                )
            else:
                spans.append(
                    Span(
                        f"freeze {freeze.source}: {freeze.reason}".rstrip(": "),
                        freeze.start,
                        freeze.end,
                    )
                )
    return spans


def closed_at(
    windows: Sequence[Window], zone: ZoneInfo, freezes: Sequence[Span], now: datetime
) -> Closed | None:
    """None when traffic may move forward at `now`; else why not, and when it next may."""
    frozen = [f for f in freezes if f.holds(now)]
    opens = next_opening(windows, zone, freezes, now)
    if opens == now:
        return None
    reason = "; ".join(f.label for f in frozen) if frozen else "outside the change windows"
    return Closed(reason, opens)


def next_opening(
    windows: Sequence[Window], zone: ZoneInfo, freezes: Sequence[Span], now: datetime
) -> datetime | None:
    moment = now
    for _ in range(_MAX_HOPS):
        holding = [f for f in freezes if f.holds(moment)]
        if holding:
            ends = [f.end for f in holding]
            if None in ends:
                return None
            moment = max(e for e in ends if e is not None)
            continue
        start = next_window_start(windows, zone, moment)
        if start is None or start == moment:
            return start
        moment = start
    return None


def forward_blocked(ctx: Context) -> Wait | None:
    """A wait (never a hold: it does not count toward the deadline) while traffic may not
    move toward the candidate; status.windowHold says why and until when."""
    spec = ctx.spec.change_windows
    zone = ZoneInfo(spec.time_zone if spec else "UTC")
    closed = closed_at(
        spec.windows if spec else [], zone, freezes_of(spec, ctx.obs.freezes), ctx.now
    )
    if closed is None:
        return None
    until = (
        f"{closed.opens_at.astimezone(zone).isoformat(timespec='minutes')} ({zone.key})"
        if closed.opens_at is not None
        else "it is lifted"
    )
    hold = WindowHold(
        reason=closed.reason,
        opens_at=None if closed.opens_at is None else format_time(closed.opens_at.astimezone(UTC)),
    )
    if ctx.status.window_hold is None or ctx.status.window_hold.reason != hold.reason:
        ctx.event("Normal", "WaitingForWindow", f"{closed.reason}: traffic holds until {until}")
    ctx.status.window_hold = hold
    ctx.window_held = True
    return Wait(
        f"waiting for the window until {until}: {closed.reason}", counts_toward_deadline=False
    )
