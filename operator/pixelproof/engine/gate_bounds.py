"""A metric gate's bounds, in one place: the threshold shown in status, the breach the
engine judges, and the effective limits the operator exports as metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pixelproof.api.metrics import MetricGate

Side = Literal["lower", "upper"]


@dataclass(frozen=True)
class Bound:
    side: Side
    limit: float
    """The value itself, or with `relative` a multiple of the stable model's value."""
    relative: bool = False

    def text(self) -> str:
        op = ">=" if self.side == "lower" else "<="
        return f"{op} {self.limit:g}" + (" x stable" if self.relative else "")

    def broken_by(self, value: float, stable_value: float | None) -> str | None:
        """The broken bound in words, or None when the value is within it."""
        if self.relative:
            if stable_value is None:
                return None
            bound = self.limit * stable_value
            named = f"{self.limit:g} x stable {stable_value:g}"
        else:
            bound = self.limit
            named = f"{'min' if self.side == 'lower' else 'max'} {self.limit:g}"
        if self.side == "lower" and value < bound:
            return f"{value:g} < {named}"
        if self.side == "upper" and value > bound:
            return f"{value:g} > {named}"
        return None


@dataclass(frozen=True)
class GateBounds:
    absolute: tuple[Bound, ...]
    relative: tuple[Bound, ...]
    min_difference: float | None = None
    """Relative breaches within this distance of stable are noise, not breaches."""

    def threshold_text(self) -> str:
        parts = [bound.text() for bound in (*self.absolute, *self.relative)]
        if self.relative and self.min_difference is not None:
            parts[-1] += f" (or within {self.min_difference:g} of stable)"
        return " and ".join(parts)

    def breach(self, value: float, stable_value: float | None) -> str | None:
        """The first broken bound in words: absolute ones, then upper before lower."""
        for bound in self.absolute:
            broken = bound.broken_by(value, stable_value)
            if broken is not None:
                return broken
        if not self.relative or stable_value is None:
            return None
        if self.min_difference is not None and abs(value - stable_value) <= self.min_difference:
            return None
        for bound in sorted(self.relative, key=lambda b: b.side != "upper"):
            broken = bound.broken_by(value, stable_value)
            if broken is not None:
                return broken
        return None

    def effective(self, stable_value: float | None) -> list[tuple[Side, float]]:
        """("lower"|"upper", value) pairs the candidate value must stay within."""
        lower = [b.limit for b in self.absolute if b.side == "lower"]
        upper = [b.limit for b in self.absolute if b.side == "upper"]
        if stable_value is not None:
            slack = self.min_difference or 0.0
            for bound in self.relative:
                scaled = bound.limit * stable_value
                if bound.side == "lower":
                    lower.append(min(scaled, stable_value - slack))
                else:
                    upper.append(max(scaled, stable_value + slack))
        bounds: list[tuple[Side, float]] = []
        if lower:
            bounds.append(("lower", max(lower)))
        if upper:
            bounds.append(("upper", min(upper)))
        return bounds


def bounds_of(gate: MetricGate) -> GateBounds:
    """The bounds of a gate whose template has been applied."""
    absolute = []
    if gate.min is not None:
        absolute.append(Bound("lower", gate.min))
    if gate.max is not None:
        absolute.append(Bound("upper", gate.max))
    rel = gate.relative_to_stable
    if rel is None:
        return GateBounds(tuple(absolute), ())
    relative = []
    if rel.min_ratio is not None:
        relative.append(Bound("lower", rel.min_ratio, relative=True))
    if rel.max_ratio is not None:
        relative.append(Bound("upper", rel.max_ratio, relative=True))
    return GateBounds(tuple(absolute), tuple(relative), rel.min_difference)
