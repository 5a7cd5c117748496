"""Gate sets merged into a rollout's spec: order of precedence, missing and invalid sets,
and what the engine decides of a rollout whose sets it cannot use."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelproof.api.gatesets import GateSetKey
from pixelproof.engine import Observations, decide, parse_spec
from pixelproof_testkit.engine import T0, gate, make_spec, with_gates

STEPS = [{"setWeight": 10}, {"pause": {}}]
SERVING = GateSetKey("GateSet", "serving", "ns")
ORG = GateSetKey("ClusterGateSet", "org")
REFS = [{"name": "serving"}, {"name": "org", "kind": "ClusterGateSet"}]


def spec_with_sets(**extra: Any) -> dict[str, Any]:
    extra.setdefault("metrics", with_gates())
    return make_spec(STEPS, gateSets=REFS, **extra)


def test_later_sets_replace_earlier_ones_and_the_rollout_replaces_both() -> None:
    sets = {
        SERVING: {
            "metricGates": [gate("errors", query="serving-errors"), gate("latency", query="lat")],
            "qualityGates": {"lpips": {"maxMean": 0.3}, "ssim": {"minMean": 0.8}},
        },
        ORG: {
            "metricGates": [gate("latency", query="org-latency", dryRun=True)],
            "qualityGates": {"ssim": {"minMean": 0.9}},
        },
    }
    own = with_gates(gate("errors", query="own-errors"))
    parsed = parse_spec(
        spec_with_sets(metrics=own, qualityGates={"lpips": {"maxMean": 0.1}}), sets, "ns"
    )
    assert parsed.model is not None, parsed.problem
    gates = parsed.model.metrics.gates
    assert [(g.name, g.query, g.dry_run) for g in gates] == [
        ("latency", "org-latency", True),
        ("errors", "own-errors", None),
    ]
    assert set(parsed.gates) == {"latency", "errors"}
    quality = parsed.model.quality_gates
    assert quality.lpips is not None and quality.lpips.max_mean == 0.1
    assert quality.ssim is not None and quality.ssim.min_mean == 0.9


@pytest.mark.parametrize(
    ("sets", "reason", "problem"),
    [
        ({}, "MissingDependency", "GateSet ns/serving, ClusterGateSet org not found"),
        ({SERVING: {}}, "MissingDependency", "ClusterGateSet org not found"),
        (
            {SERVING: {"metricGates": [{"name": "errors", "max": 1}]}, ORG: {}},
            "InvalidSpec",
            "invalid GateSet ns/serving: spec.metricGates[0]: a metric gate needs a query",
        ),
        (
            {SERVING: {}, ORG: {"qualityGates": {"lpips": {}}}},
            "InvalidSpec",
            "invalid ClusterGateSet org: spec.qualityGates.lpips: give maxMean or maxNoiseMultiple",
        ),
        (
            {SERVING: {"metricGates": [gate("errors")]}, ORG: {}},
            "InvalidSpec",
            "invalid spec with GateSet ns/serving, ClusterGateSet org: spec.metrics: metric "
            "gates need a metrics provider",
        ),
    ],
)
def test_a_set_the_rollout_cannot_use_stalls_it_naming_the_set(
    sets: dict[GateSetKey, Any], reason: str, problem: str
) -> None:
    spec = spec_with_sets()
    del spec["metrics"]
    parsed = parse_spec(spec, sets, "ns")
    assert parsed.model is None
    assert parsed.reason == reason
    assert parsed.problem is not None and parsed.problem.startswith(problem), parsed.problem
    decision = decide(parsed, {}, Observations(), T0, name="gen", namespace="ns")
    stalled = next(c for c in decision.status["conditions"] if c["type"] == "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", reason)
    assert decision.status["message"] == parsed.problem
    assert [a.reason for a in decision.actions] == [reason]


def test_a_rollout_listing_a_set_twice_is_refused() -> None:
    spec = make_spec(STEPS, gateSets=[{"name": "serving"}, {"name": "serving"}])
    parsed = parse_spec(spec, {SERVING: {}}, "ns")
    assert parsed.problem is not None
    assert "a gate set may be listed once: GateSet serving" in parsed.problem


def test_a_gate_set_is_looked_up_in_the_rollouts_namespace() -> None:
    parsed = parse_spec(spec_with_sets(), {SERVING: {}, ORG: {}}, "other")
    assert parsed.problem == "GateSet other/serving not found"


names = st.sampled_from(["a", "b", "c", "d"])


@settings(max_examples=60, deadline=None)
@given(
    layers=st.lists(st.lists(names, unique=True, max_size=4), min_size=1, max_size=4),
    own=st.lists(names, unique=True, max_size=4),
)
def test_each_gate_comes_from_the_last_place_that_declares_it(
    layers: list[list[str]], own: list[str]
) -> None:
    """Sets in order, then the rollout: the last to declare a gate name wins, every name
    declared anywhere is judged exactly once."""
    keys = [GateSetKey("GateSet", f"s{i}", "ns") for i in range(len(layers))]
    sets = {
        key: {"metricGates": [gate(n, query=f"{key.name}:{n}") for n in layer]}
        for key, layer in zip(keys, layers, strict=True)
    }
    spec = make_spec(
        STEPS,
        gateSets=[{"name": key.name} for key in keys],
        metrics=with_gates(*(gate(n, query=f"own:{n}") for n in own)),
    )
    parsed = parse_spec(spec, sets, "ns")
    assert parsed.model is not None, parsed.problem
    merged = {g.name: g.query for g in parsed.model.metrics.gates}
    assert len(merged) == len(parsed.model.metrics.gates)
    declared = {n for layer in layers for n in layer} | set(own)
    assert set(merged) == declared
    layered = list(zip(keys, layers, strict=True))
    for name in declared:
        last = next((key.name for key, layer in reversed(layered) if name in layer), None)
        assert merged[name] == (f"own:{name}" if name in own else f"{last}:{name}")
