"""What a check's judge returns, and the one way a value is held against a bound and worded.

Every reason reads `<what was measured> <operator> <the limit>`, the operator being the
bound's own when the value is within it and its negation when not, so a reason says at a
glance which side of the threshold the value fell on."""

from __future__ import annotations

from dataclasses import dataclass, field

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.verdicts import Comparison, FinalVerdict

_NEGATION = {"<=": ">", ">=": "<"}


@dataclass(frozen=True)
class GateResult:
    """One check's verdicts (a check may judge several bounds) and the scores it measured."""

    verdicts: list[GateVerdict]
    scores: dict[str, float] = field(default_factory=dict)


def fmt(value: float) -> str:
    return f"{value:.4g}"


def within(value: float, operator: Comparison, limit: float) -> bool:
    return value <= limit if operator == "<=" else value >= limit


def compare(
    name: str,
    value: float,
    operator: Comparison,
    limit: float,
    *,
    threshold: str,
    measured: str,
    bound: str,
    breach: FinalVerdict = "Fail",
) -> GateVerdict:
    """Pass when value is within the bound, else `breach`; the reason is
    `{measured} {operator or its negation} {bound}`."""
    ok = within(value, operator, limit)
    sign = operator if ok else _NEGATION[operator]
    return GateVerdict(
        name=name,
        verdict="Pass" if ok else breach,
        value=value,
        threshold=threshold,
        limit=limit,
        comparison=operator,
        reason=f"{measured} {sign} {bound}",
    )


def no_data(name: str, threshold: str, reason: str) -> GateVerdict:
    """A gate without data is inconclusive, never a pass."""
    return GateVerdict(
        name=name, verdict="Inconclusive", value=None, threshold=threshold, reason=reason
    )
