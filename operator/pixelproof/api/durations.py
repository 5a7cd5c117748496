"""Go-style durations ("90s", "10m", "1h30m", "500ms"), as Kubernetes users write them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from .errors import FieldError
from .patterns import DURATION as DURATION_PATTERN
from .patterns import WHOLE_DURATION

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a duration string; ValueError names the bad text."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit, e.g. 30s, 10m, 1h30m"
        )
    return sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _PART.findall(text))


def format_duration(seconds: float) -> str:
    whole = int(seconds)
    if whole != seconds:
        return f"{round(seconds * 1000)}ms"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def _within(low: str | None, high: str) -> AfterValidator:
    low_s = None if low is None else parse_duration(low)
    high_s = parse_duration(high)

    def check(text: str) -> str:
        seconds = parse_duration(text)
        if low_s is not None and seconds < low_s:
            raise FieldError(f"{text!r} is shorter than the minimum of {low}")
        if seconds > high_s:
            raise FieldError(f"{text!r} is longer than the maximum of {high}")
        return text

    return AfterValidator(check)


def _schema(low: str | None, high: str) -> Any:
    """The same bounds as a CEL rule: CEL's duration() parses the same syntax."""
    rule = f"duration(self) <= duration('{high}')"
    message = f"must be at most {high}"
    if low is not None:
        rule = f"duration(self) >= duration('{low}') && {rule}"
        message = f"must be between {low} and {high}"
    return Field(
        pattern=DURATION_PATTERN,
        max_length=32,
        json_schema_extra={"x-kubernetes-validations": [{"rule": rule, "message": message}]},
    )


Interval = Annotated[str, _schema("1s", "24h"), _within("1s", "24h")]
"""How often a metric is queried. Under a second Prometheus has no new scrape to show and
would only be loaded; over a day a rollout would wait longer than any progress deadline."""
PauseDuration = Annotated[str, _schema(None, "720h"), _within(None, "720h")]
"""A timed pause; zero passes at once. Thirty days keeps it well inside what Go's
durations (and so the API server's CEL) can hold."""
ReviewDeadline = Annotated[str, _schema("1s", "720h"), _within("1s", "720h")]
"""How long a review step waits for a person; a zero deadline would decide before anyone
could look."""
RecorderRetention = Annotated[
    str, _schema("1m", "168h"), Field(pattern=WHOLE_DURATION), _within("1m", "168h")
]
"""How long the prompt recorder keeps a request: long enough to span a step, at most a week.
One whole number and unit, as the recorder's --retention reads it."""
WindowAge = Annotated[str, _schema("1m", "8760h"), _within("1m", "8760h")]
"""How long ago a revision may have been promoted for a rollback window to count it: a
year at most, well inside Go's durations."""
