"""Change windows and freezes: when a rollout may move traffic forward.

Windows are weekly wall-clock hours in an IANA time zone; freezes are absolute ranges.
Campaign freezes for every rollout of a namespace or the cluster are ConfigMaps the
operator reads (see FREEZE_LABEL); their data has the fields of Freeze."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator, model_validator

from .base import ApiModel, StatusModel

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEEKDAYS: tuple[Weekday, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
FREEZE_LABEL = "pixelproof.dev/freeze"
"""A ConfigMap with this label set to "true" is a campaign freeze: for every rollout of its
namespace, or of every namespace when it sits in the operator's freeze namespace."""


def minutes_of(clock: str) -> int:
    if not re.fullmatch(CLOCK_PATTERN, clock):
        raise ValueError(f"invalid time of day {clock!r}: use HH:MM, 00:00 to 23:59")
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class Window(ApiModel):
    """Hours on some days of the week. A window whose end is before its start crosses
    midnight: it opens on one of `days` and closes on the next day."""

    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS),
        min_length=1,
        max_length=7,
        description="Days on which the window opens; every day when omitted.",
    )
    start: str = Field(
        pattern=CLOCK_PATTERN, description="Wall-clock time the window opens, HH:MM."
    )
    end: str = Field(
        pattern=CLOCK_PATTERN,
        description="Wall-clock time the window closes, HH:MM; before start means the next day.",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if self.start == self.end:
            raise ValueError("a window's end must differ from its start")
        return self


class Freeze(ApiModel):
    """An absolute range of time in which traffic never moves forward."""

    start: AwareDatetime = Field(description="Beginning of the freeze, RFC 3339 with offset.")
    end: AwareDatetime = Field(description="End of the freeze (exclusive), RFC 3339 with offset.")
    reason: str = Field(
        default="", max_length=256, description="Why, shown while the rollout waits."
    )

    @field_validator("start", "end", mode="before")
    @classmethod
    def _from_wire(cls, value: Any) -> Any:
        # The wire carries RFC 3339 text, which strict validation refuses for a datetime.
        if isinstance(value, str):
            if not RFC3339.fullmatch(value):
                raise ValueError(f"{value[:40]!r} is not RFC 3339 with an offset")
            return datetime.fromisoformat(value)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Freeze:
        if self.end <= self.start:
            raise ValueError("a freeze's end must be after its start")
        return self


class ChangeWindows(ApiModel):
    """When the rollout may shift traffic toward the candidate. Outside every window or
    inside a freeze it holds where it is; gates keep judging and rollbacks still happen."""

    time_zone: str = Field(
        default="UTC",
        min_length=1,
        max_length=64,
        description="IANA time zone of the windows' hours, e.g. Europe/Berlin.",
    )
    windows: list[Window] = Field(
        default_factory=list,
        max_length=50,
        description="Weekly windows in which traffic may move forward; any time when empty.",
    )
    freezes: list[Freeze] = Field(
        default_factory=list,
        max_length=50,
        description="Ranges in which traffic never moves forward, whatever the windows say.",
    )
    campaign_freezes: bool = Field(
        default=True,
        description="Also honour campaign freezes (labelled ConfigMaps of the namespace or the cluster).",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # CEL cannot know the time zone database, so the check lives here.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class WindowHold(StatusModel):
    """Why traffic does not move forward now, and when it next may."""

    reason: str = Field(description="Outside the change windows, or the freeze that holds.")
    opens_at: str | None = Field(
        default=None,
        description="When traffic may next move forward (RFC 3339, UTC); none known within two weeks.",
    )


def freeze_active(freeze: Freeze, now: datetime) -> bool:
    return freeze.start <= now < freeze.end


WINDOW_RULES = [
    {"rule": "self.start != self.end", "message": "a window's end must differ from its start"}
]
FREEZE_RULES = [
    {
        "rule": "timestamp(self.end) > timestamp(self.start)",
        "message": "a freeze's end must be after its start",
    }
]
