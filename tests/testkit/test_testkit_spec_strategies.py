"""The spec strategies draw the same data on replay: no draw changes what a later one sees."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings

from pixelproof_testkit import spec_strategies

JUNK_BEFORE = copy.deepcopy(spec_strategies.JUNK)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(spec_strategies.documents())
def test_mutations_leave_the_junk_values_as_they_were(doc: Any) -> None:
    # Mutations add fields into dicts they drew; drawn from JUNK itself, that grew JUNK for
    # every later draw and hypothesis's replay saw other paths (FlakyStrategyDefinition).
    assert repr(spec_strategies.JUNK) == repr(JUNK_BEFORE)
