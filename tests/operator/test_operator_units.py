"""The operator's pure pieces: replica plans, traffic shares, status patches."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pixelproof.api.status import Weights
from pixelproof.controller.statuspatch import merge_patch
from pixelproof.routers.base import shares
from pixelproof.routers.replicas import replica_plan
from pixelproof_localcluster.patching import merge_patch as apply_merge_patch


@given(st.integers(2, 1000), st.integers(0, 100))
def test_replica_plan_keeps_the_total_and_a_candidate_pod_while_weighted(
    total: int, weight: int
) -> None:
    stable, candidate = replica_plan(total, weight)
    assert stable + candidate == total
    assert (candidate >= 1) == (weight > 0)
    assert (stable >= 1) == (weight < 100)


def test_replica_plan_rounds_to_the_nearest_pod() -> None:
    assert replica_plan(4, 10) == (3, 1)
    assert replica_plan(4, 50) == (2, 2)
    assert replica_plan(10, 35) == (6, 4)


def test_other_backends_make_shares_fall_short_of_100() -> None:
    assert shares(90, 10) == Weights(stable=90, candidate=10)
    assert shares(1, 1) == Weights(stable=50, candidate=50)
    assert shares(50, 0, others=50) == Weights(stable=50, candidate=0)
    assert shares(0, 0) == Weights(stable=0, candidate=0)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)
_objects = st.dictionaries(st.text(max_size=2), _json.filter(lambda v: v is not None), max_size=4)


def _without_nulls(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


@given(_objects, _objects)
def test_status_patch_turns_old_into_new(old: dict, new: dict) -> None:  # type: ignore[type-arg]
    new = _without_nulls(new)  # type: ignore[assignment]
    old = _without_nulls(old)  # type: ignore[assignment]
    assert apply_merge_patch(old, merge_patch(old, new)) == new
