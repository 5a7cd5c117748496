"""Weekly change windows on the wall clock of a time zone.

A window is open at an instant when the local wall-clock time then falls in it: on a
spring-forward day a window inside the skipped hour never opens, on a fall-back day a
window in the repeated hour is open both times. Openings are found among the instants
at which the wall clock reaches a window's start (both folds of an ambiguous time) or
jumps at a UTC offset change; nothing else can open a window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pixelproof.api.windows import WEEKDAYS, Window, minutes_of

# Windows repeat weekly: a week and a day of candidates always holds the next opening.
_SEARCH_DAYS = 8


def in_window(windows: Sequence[Window], zone: ZoneInfo, now: datetime) -> bool:
    """Whether traffic may move at `now`; always, when no window is declared."""
    if not windows:
        return True
    local = now.astimezone(zone)
    day = WEEKDAYS[local.weekday()]
    before = WEEKDAYS[(local.weekday() - 1) % 7]
    minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    for window in windows:
        start, end = minutes_of(window.start), minutes_of(window.end)
        if start < end:
            if day in window.days and start <= minute < end:
                return True
        elif (day in window.days and minute >= start) or (before in window.days and minute < end):
            return True
    return False


def next_window_start(
    windows: Sequence[Window], zone: ZoneInfo, after: datetime
) -> datetime | None:
    """The first instant at or after `after` inside a window; None when no window ever opens."""
    if in_window(windows, zone, after):
        return after
    first = after.astimezone(zone).date() - timedelta(days=1)
    candidates = sorted(
        c
        for c in (*_start_instants(windows, zone, first), *_offset_changes(zone, after))
        if c > after
    )
    return next((c for c in candidates if in_window(windows, zone, c)), None)


def _start_instants(windows: Sequence[Window], zone: ZoneInfo, first: date) -> list[datetime]:
    instants: list[datetime] = []
    for offset in range(_SEARCH_DAYS + 1):
        day = first + timedelta(days=offset)
        for window in windows:
            hours, minutes = divmod(minutes_of(window.start), 60)
            local = datetime.combine(day, time(hours, minutes), tzinfo=zone)
            instants.extend(local.replace(fold=fold).astimezone(UTC) for fold in (0, 1))
    return instants


def _offset_changes(zone: ZoneInfo, after: datetime) -> list[datetime]:
    """The instants the zone's UTC offset changes within the search horizon."""
    changes = []
    hour = timedelta(hours=1)
    moment = after.astimezone(UTC)
    for _ in range(_SEARCH_DAYS * 24):
        later = moment + hour
        if moment.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            changes.append(_first_with_offset_of(zone, moment, later))
        moment = later
    return changes


def _first_with_offset_of(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """Bisect to the second: the first instant after `low` with the offset `high` has."""
    target = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)
