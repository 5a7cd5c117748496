"""Property tests of change windows: the next opening is the first instant traffic may
move, in any time zone across DST, and the engine never moves traffic forward outside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixelproof.api.windows import WEEKDAYS, Window
from pixelproof.engine.windows import Span, closed_at, next_opening
from pixelproof_testkit.windows import Drive

# Zones with DST both ways, a half-hour offset, and Lord Howe's half-hour DST shift.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "UTC",
]
START = datetime(2026, 1, 1, tzinfo=UTC)


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def windows(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for _ in range(draw(st.integers(0, 3))):
        quarters = st.integers(0, 24 * 4 - 1)
        start, end = draw(st.lists(quarters, min_size=2, max_size=2, unique=True))
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
        found.append({"days": days, "start": clock(start * 15), "end": clock(end * 15)})
    return found


instants = st.integers(0, 366 * 24 * 3600).map(lambda s: START + timedelta(seconds=s))


@st.composite
def freezes(draw: st.DrawFn) -> list[dict[str, str]]:
    found = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(instants)
        length = timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))
        found.append({"start": start.isoformat(), "end": (start + length).isoformat()})
    return found


def spans(declared: list[dict[str, str]]) -> list[Span]:
    return [
        Span("f", datetime.fromisoformat(f["start"]), datetime.fromisoformat(f["end"]))
        for f in declared
    ]


def allowed(parsed: list[Window], zone: ZoneInfo, frozen: list[Span], now: datetime) -> bool:
    return closed_at(parsed, zone, frozen, now) is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    declared=windows(),
    declared_freezes=freezes(),
    now=instants,
    fractions=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8),
)
def test_the_next_opening_is_the_first_allowed_instant(
    zone: str,
    declared: list[dict[str, Any]],
    declared_freezes: list[dict[str, str]],
    now: datetime,
    fractions: list[float],
) -> None:
    tz = ZoneInfo(zone)
    parsed = [Window.model_validate(w) for w in declared]
    frozen = spans(declared_freezes)
    opening = next_opening(parsed, tz, frozen, now)
    assert opening is not None, "weekly windows always open again within a week of a freeze"
    assert opening >= now
    assert allowed(parsed, tz, frozen, opening)
    if opening > now:
        assert not allowed(parsed, tz, frozen, opening - timedelta(seconds=1))
        for fraction in fractions:
            point = now + timedelta(seconds=int((opening - now).total_seconds() * fraction))
            assert not allowed(parsed, tz, frozen, point)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    declared=windows(),
    declared_freezes=freezes(),
    start=instants,
    gaps=st.lists(st.integers(1, 6 * 3600), min_size=5, max_size=25),
)
def test_traffic_never_moves_forward_outside_a_window(
    zone: str,
    declared: list[dict[str, Any]],
    declared_freezes: list[dict[str, str]],
    start: datetime,
    gaps: list[int],
) -> None:
    steps = [
        {"setWeight": 10},
        {"pause": {"duration": "30m"}},
        {"setWeight": 40},
        {"setWeight": 70},
    ]
    spec = {
        "stable": {"deployment": "gen-v1", "service": "gen-stable"},
        "candidate": {"deployment": "gen-v2", "service": "gen-candidate", "replicas": 1},
        "traffic": {"gatewayAPI": {"httpRoute": "gen"}},
        "steps": steps,
        "changeWindows": {"timeZone": zone, "windows": declared, "freezes": declared_freezes},
        "progressDeadlineSeconds": 10,
    }
    tz = ZoneInfo(zone)
    parsed = [Window.model_validate(w) for w in declared]
    frozen = spans(declared_freezes)
    drive = Drive(spec)
    now = start
    for gap in gaps:
        before = drive.candidate
        drive.decide(now)
        assert drive.status["phase"] != "Failed", drive.status["message"]
        if drive.candidate > before:
            assert allowed(parsed, tz, frozen, now), (
                f"weight {before} -> {drive.candidate} at {now}"
            )
        hold = drive.status.get("windowHold")
        if hold is not None:
            assert not allowed(parsed, tz, frozen, now)
            assert drive.status["waitingOn"].startswith("waiting for the window until ")
        now += timedelta(seconds=gap)
