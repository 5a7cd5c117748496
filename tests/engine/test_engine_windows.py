"""Change windows and freezes: the calendar on the wall clock (DST included), and the
engine holding traffic, never the rollback, while a window is closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pixelproof.api.windows import Window
from pixelproof.engine import MetricSample, SetWeights
from pixelproof.engine.calendar import in_window, next_window_start
from pixelproof.engine.observations import CampaignFreeze
from pixelproof.engine.windows import Span, closed_at, next_opening
from pixelproof_testkit.engine import gate, make_spec, with_gates
from pixelproof_testkit.windows import Drive

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def window(start: str, end: str, *days: str) -> Window:
    return Window.model_validate(
        {"start": start, "end": end, **({"days": list(days)} if days else {})}
    )


# (windows, now, open?, next opening) in Europe/Berlin; 2026-03-29 and 2026-10-25 are the
# spring-forward and fall-back Sundays.
CALENDAR = [
    pytest.param(
        [window("09:00", "17:00", "Mon", "Tue")],
        utc(2026, 12, 1, 7, 59),
        False,
        utc(2026, 12, 1, 8, 0),
        id="before-office-hours",
    ),
    pytest.param(
        [window("09:00", "17:00", "Mon", "Tue")],
        utc(2026, 12, 1, 8, 0),
        True,
        utc(2026, 12, 1, 8, 0),
        id="at-the-opening",
    ),
    pytest.param(
        [window("09:00", "17:00", "Mon", "Tue")],
        utc(2026, 12, 1, 16, 0),
        False,
        utc(2026, 12, 7, 8, 0),
        id="closed-until-monday",
    ),
    pytest.param(
        [window("22:00", "02:00", "Fri")],
        utc(2026, 12, 5, 0, 30),
        True,
        utc(2026, 12, 5, 0, 30),
        id="across-midnight-saturday-early",
    ),
    pytest.param(
        [window("22:00", "02:00", "Fri")],
        utc(2026, 12, 5, 1, 0),
        False,
        utc(2026, 12, 11, 21, 0),
        id="across-midnight-closed-at-end",
    ),
    pytest.param(
        [window("22:00", "02:00", "Fri")],
        utc(2026, 12, 4, 20, 59),
        False,
        utc(2026, 12, 4, 21, 0),
        id="across-midnight-friday",
    ),
    pytest.param(
        [window("02:30", "04:00", "Sun")],
        utc(2026, 3, 29, 0, 30),
        False,
        utc(2026, 3, 29, 1, 0),
        id="spring-forward-opens-at-the-jump",
    ),
    pytest.param(
        [window("02:00", "02:30", "Sun")],
        utc(2026, 3, 28, 23, 0),
        False,
        utc(2026, 4, 5, 0, 0),
        id="spring-forward-skipped-hour-never-opens",
    ),
    pytest.param(
        [window("09:00", "10:00", "Sun")],
        utc(2026, 3, 29, 6, 0),
        False,
        utc(2026, 3, 29, 7, 0),
        id="spring-forward-summer-offset",
    ),
    pytest.param(
        [window("02:15", "02:45", "Sun")],
        utc(2026, 10, 25, 0, 50),
        False,
        utc(2026, 10, 25, 1, 15),
        id="fall-back-repeated-hour-twice",
    ),
    pytest.param(
        [window("01:00", "02:30", "Sun")],
        utc(2026, 10, 25, 0, 45),
        False,
        utc(2026, 10, 25, 1, 0),
        id="fall-back-clock-jumps-back-into-window",
    ),
    pytest.param(
        [window("09:00", "10:00", "Sun")],
        utc(2026, 10, 25, 7, 30),
        False,
        utc(2026, 10, 25, 8, 0),
        id="fall-back-winter-offset",
    ),
    pytest.param(
        [], utc(2026, 10, 25, 0, 45), True, utc(2026, 10, 25, 0, 45), id="no-windows-always-open"
    ),
]


@pytest.mark.parametrize(("windows", "now", "open_now", "opening"), CALENDAR)
def test_calendar(windows: list[Window], now: datetime, open_now: bool, opening: datetime) -> None:
    assert in_window(windows, BERLIN, now) is open_now
    assert next_window_start(windows, BERLIN, now) == opening
    assert in_window(windows, BERLIN, opening)
    if opening > now:
        assert not in_window(windows, BERLIN, opening - timedelta(seconds=1))


def test_freezes_push_the_opening_past_their_end() -> None:
    office = [window("09:00", "17:00", "Mon", "Tue", "Wed", "Thu", "Fri")]
    now = utc(2026, 12, 1, 10, 0)
    freeze = Span("freeze release", utc(2026, 12, 1, 9, 0), utc(2026, 12, 1, 12, 30))
    late = Span("freeze late", utc(2026, 12, 1, 12, 30), utc(2026, 12, 1, 17, 0))
    assert closed_at(office, BERLIN, [freeze], now) is not None
    assert next_opening(office, BERLIN, [freeze], now) == utc(2026, 12, 1, 12, 30)
    assert next_opening(office, BERLIN, [freeze, late], now) == utc(2026, 12, 2, 8, 0)
    closed = closed_at(office, BERLIN, [freeze, late], now)
    assert closed is not None and closed.reason == "freeze release"
    endless = Span("freeze unreadable", None, None)
    assert next_opening(office, BERLIN, [endless], now) is None
    assert closed_at(office, BERLIN, [freeze], utc(2026, 12, 1, 12, 30)) is None


def windowed(
    steps: list[dict[str, Any]] | None = None,
    freezes: list[dict[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    change = {
        "timeZone": "Europe/Berlin",
        "windows": [{"days": ["Tue"], "start": "09:00", "end": "17:00"}],
        "freezes": freezes or [],
    }
    return make_spec(
        steps or [{"setWeight": 10}, {"pause": {"duration": "60s"}}, {"setWeight": 50}],
        changeWindows=change,
        progressDeadlineSeconds=60,
        **extra,
    )


def test_outside_the_window_traffic_holds_without_counting_toward_the_deadline() -> None:
    drive = Drive(windowed())
    decision = drive.decide(utc(2026, 12, 1, 6, 0))
    assert not any(isinstance(a, SetWeights) for a in decision.actions)
    status = drive.status
    assert status["waitingOn"].startswith(
        "waiting for the window until 2026-12-01T09:00+01:00 (Europe/Berlin)"
    )
    assert "waiting for the window until 2026-12-01T09:00+01:00" in status["message"]
    assert status["windowHold"] == {
        "reason": "outside the change windows",
        "opensAt": "2026-12-01T08:00:00.000000Z",
    }
    assert "holdingSince" not in status
    assert "WaitingForWindow" in drive.reasons()
    drive.decide(utc(2026, 12, 1, 7, 59, 59))
    assert drive.status["phase"] == "Progressing" and drive.candidate == 0
    assert "WaitingForWindow" not in drive.reasons()
    decision = drive.decide(utc(2026, 12, 1, 8, 0))
    assert drive.candidate == 10
    assert SetWeights(drive.router) in decision.actions
    assert "windowHold" not in drive.status


def test_a_freeze_starting_mid_step_holds_the_next_weight() -> None:
    freeze = {
        "start": "2026-12-01T10:00:30+01:00",
        "end": "2026-12-01T11:00:00+01:00",
        "reason": "release",
    }
    drive = Drive(windowed(freezes=[freeze]))
    drive.decide(utc(2026, 12, 1, 9, 0))
    assert drive.candidate == 10
    drive.decide(utc(2026, 12, 1, 9, 0, 10))
    assert drive.status["currentStep"] == 1 and drive.status["phase"] == "Paused"
    drive.decide(utc(2026, 12, 1, 9, 1, 30))
    assert drive.candidate == 10 and drive.status["currentStep"] == 2
    assert drive.status["windowHold"]["reason"] == "freeze release"
    assert drive.status["waitingOn"].startswith(
        "waiting for the window until 2026-12-01T11:00+01:00"
    )
    drive.decide(utc(2026, 12, 1, 10, 0))
    assert drive.candidate == 50


def test_gates_keep_judging_and_roll_back_while_the_window_is_closed() -> None:
    spec = windowed(metrics=with_gates(gate(failureLimit=1)))
    drive = Drive(spec)
    drive.decide(utc(2026, 12, 1, 9, 0))
    assert drive.candidate == 10
    drive.decide(utc(2026, 12, 1, 16, 0), metrics=(MetricSample("errors", "q", 0.01),))
    drive.decide(utc(2026, 12, 1, 16, 1, 30), metrics=(MetricSample("errors", "q", 0.01),))
    assert drive.status["windowHold"]["reason"] == "outside the change windows"
    drive.decide(utc(2026, 12, 1, 17, 30), metrics=(MetricSample("errors", "q", 0.9),))
    assert drive.status["phase"] == "RolledBack"
    assert drive.router.candidate == 0 and "windowHold" not in drive.status


def test_abort_is_never_blocked_by_a_closed_window() -> None:
    drive = Drive(windowed())
    drive.decide(utc(2026, 12, 1, 9, 0))
    drive.decide(utc(2026, 12, 1, 20, 0), commands={"abort": "a1"})
    assert drive.status["phase"] == "RolledBack" and drive.router.candidate == 0


def test_campaign_freezes_hold_every_rollout_unless_it_opts_out() -> None:
    freeze = CampaignFreeze(
        "pixelproof-system/black-friday", utc(2026, 11, 27), utc(2026, 12, 1), "Black Friday"
    )
    drive = Drive(make_spec([{"setWeight": 10}]), freezes=(freeze,))
    drive.decide(utc(2026, 11, 28, 12, 0))
    assert drive.candidate == 0
    assert drive.status["windowHold"] == {
        "reason": "freeze pixelproof-system/black-friday: Black Friday",
        "opensAt": "2026-12-01T00:00:00.000000Z",
    }
    assert drive.status["waitingOn"].startswith(
        "waiting for the window until 2026-12-01T00:00+00:00 (UTC)"
    )
    drive.decide(utc(2026, 12, 1))
    assert drive.candidate == 10
    opted_out = Drive(
        make_spec([{"setWeight": 10}], changeWindows={"campaignFreezes": False}), freezes=(freeze,)
    )
    opted_out.decide(utc(2026, 11, 28, 12, 0))
    assert opted_out.candidate == 10


def test_an_unreadable_campaign_freeze_holds_until_fixed() -> None:
    broken = CampaignFreeze("imagegen/freeze", problem="data.end: missing")
    drive = Drive(make_spec([{"setWeight": 10}]), freezes=(broken,))
    drive.decide(utc(2026, 12, 1))
    assert drive.candidate == 0
    assert drive.status["waitingOn"] == (
        "waiting for the window until it is lifted: freeze imagegen/freeze unreadable: data.end: missing"
    )
    assert "opensAt" not in drive.status["windowHold"]
