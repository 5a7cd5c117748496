"""The list of Normal reasons an operator may omit is the engine's own: every Event the
engine's code posts as Normal is on it, and no reason it posts as a Warning."""

from __future__ import annotations

import re
from pathlib import Path

from pixelproof.engine import event_reasons
from pixelproof.engine.event_reasons import NORMAL_REASONS, omission_problems

ENGINE = Path(event_reasons.__file__).parent
# ctx.event("Normal", "Reason", ...) and EmitEvent("Warning", "Reason", ...), over lines.
_POSTED = re.compile(r'(?:event|EmitEvent)\(\s*"(Normal|Warning)",\s*"(\w+)"')


def _posted() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"Normal": set(), "Warning": set()}
    for source in ENGINE.rglob("*.py"):
        for kind, reason in _POSTED.findall(source.read_text()):
            found[kind].add(reason)
    return found


def test_every_normal_reason_the_engine_posts_may_be_omitted() -> None:
    posted = _posted()
    assert len(posted["Normal"]) >= 15, posted
    assert posted["Normal"] <= NORMAL_REASONS, posted["Normal"] - NORMAL_REASONS
    assert not posted["Warning"] & NORMAL_REASONS


def test_a_warning_or_an_unknown_reason_is_refused_by_name() -> None:
    assert omission_problems(("WeightsSet", "Succeeded")) == []
    problems = omission_problems(("GateFail", "WeightSet"))
    assert len(problems) == 2
    assert problems[0].startswith("'GateFail' is not the reason of a Normal Event")
    assert "Warnings are always posted" in problems[1] and "WeightsSet" in problems[1]
