"""Status symbols, and colour only where a person reads a terminal.

Colour follows the no-color.org convention: never when NO_COLOR is set (to anything),
never when the output is not a terminal."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TextIO

HEALTHY, PROGRESSING, PAUSED, DEGRADED, STALLED, UNKNOWN = (
    "Healthy",
    "Progressing",
    "Paused",
    "Degraded",
    "Stalled",
    "Unknown",
)
SYMBOLS = {
    HEALTHY: "✔",
    PROGRESSING: "◌",
    PAUSED: "॥",
    DEGRADED: "✖",
    STALLED: "⚠",
    UNKNOWN: "?",
}
_COLOURS = {HEALTHY: "32", PROGRESSING: "33", PAUSED: "36", DEGRADED: "31", STALLED: "31"}


def wants_colour(out: TextIO) -> bool:
    if "NO_COLOR" in os.environ:
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True)
class Style:
    colour: bool = False

    def health(self, health: str, text: str) -> str:
        """`text` led by the health's symbol, coloured when colour is on."""
        shown = f"{SYMBOLS.get(health, SYMBOLS[UNKNOWN])} {text}"
        code = _COLOURS.get(health)
        return f"\033[{code}m{shown}\033[0m" if self.colour and code else shown

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.colour else text


def visible_width(text: str) -> int:
    """Width on screen, without colour codes (for aligning coloured columns)."""
    width, escape = 0, False
    for char in text:
        if char == "\033":
            escape = True
        elif escape:
            escape = char != "m"
        else:
            width += 1
    return width
