"""Metric gates end to end: the real engine decides on samples the real sampler takes from
a real Prometheus scraping real reference generator processes under load.

The router's data plane (a Gateway API or Istio proxy) cannot run here: a WeightHolder
holds the weights the engine sets, reports them back, and the load driver splits
traffic by them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from pixelproof import telemetry
from pixelproof.api.status import STABLE_ONLY, Weights
from pixelproof.metrics.sampler import Sampler
from pixelproof_demo.prometheus import PrometheusServer
from pixelproof_testkit.generators import Generator
from pixelproof_testkit.metrics import Load, RolloutLoop, WeightHolder, rollout_spec


def max_candidate_weight(holder: WeightHolder) -> int:
    return max((w.candidate for _, w in holder.changes), default=0)


def gate_passed(name: str) -> Callable[[RolloutLoop], bool]:
    return lambda loop: loop.gate(name).get("verdict") == "Pass"


def test_healthy_candidate_passes_every_step(
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    sampler: Sampler,
    unique: str,
) -> None:
    stable = generators(f"{unique}-stable")
    candidate = generators(f"{unique}-candidate")
    gates: list[dict[str, Any]] = [
        {"name": "errors", "template": "error-rate", "failureLimit": 2},
        # Render time on shared CPUs is noisy; the bound is loose, the comparison real.
        {"name": "gpu", "template": "gpu-seconds-per-image", "relativeToStable": {"maxRatio": 4}},
    ]
    steps: list[dict[str, Any]] = [
        {"setWeight": 20},
        {"pause": {"duration": "2s"}},
        {"setWeight": 50},
        {"pause": {"duration": "1s"}},
        {"setWeight": 100},
    ]
    spec = rollout_spec(
        prometheus.url,
        stable_service=f"{unique}-stable",
        candidate_service=f"{unique}-candidate",
        gates=gates,
        steps=steps,
    )
    holder = WeightHolder()
    loop = RolloutLoop(spec, sampler, holder, name=unique)
    with Load(stable, candidate, holder):
        loop.run_until(lambda r: r.finished, timeout=90, what="the rollout to finish")
    assert loop.phase == "Succeeded", loop.status.get("message")
    assert holder.get() == Weights(stable=0, candidate=100)
    errors, gpu = loop.gate("errors"), loop.gate("gpu")
    assert errors["verdict"] == "Pass" and errors["value"] == 0.0
    assert gpu["verdict"] == "Pass" and gpu["value"] > 0 and gpu["stableValue"] > 0
    assert f'service="{unique}-stable"' in gpu["stableQuery"]
    # No weight beyond the first step before both gates had passed on real data.
    first_pass = min(
        t.started
        for t in loop.ticks
        if all(g.get("verdict") == "Pass" for g in t.decision.status.get("gates", []))
        and len(t.decision.status.get("gates", [])) == 2
    )
    assert all(w.candidate <= 20 for at, w in holder.changes if at < first_pass)


def test_error_spike_rolls_back_within_failure_limit_times_interval(
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    sampler: Sampler,
    unique: str,
) -> None:
    stable = generators(f"{unique}-stable")
    candidate = generators(f"{unique}-candidate")
    failure_limit, interval = 2, 1.0
    gates: list[dict[str, Any]] = [
        {"name": "errors", "template": "error-rate", "failureLimit": failure_limit}
    ]
    spec = rollout_spec(
        prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates, steps=HELD_AT_20
    )
    holder = WeightHolder()
    loop = RolloutLoop(spec, sampler, holder, name=unique)
    with Load(stable, candidate, holder):
        loop.run_until(gate_passed("errors"), timeout=60, what="the error-rate gate to pass")
        candidate.set_faults({"error_rate": 0.5, "fault_seed": 7})
        injected = time.monotonic()
        loop.run_until(lambda r: r.finished, timeout=60, what="the rollback")
    assert loop.phase == "RolledBack"
    assert holder.get() == STABLE_ONLY
    breaches = [
        (at, s)
        for at, s in loop.samples_of("errors")
        if at > injected and s.value is not None and s.value > 0.02
    ]
    visible = breaches[0][0]
    rolled_back = next(at for at, w in holder.changes if at > visible and w == STABLE_ONLY)
    assert rolled_back - visible <= failure_limit * interval + 1.0
    assert max_candidate_weight(holder) == 20
    assert "metric gate errors failed" in loop.status["rollbackReason"]
    assert "breach 2 of 2" in loop.status["rollbackReason"]
    assert (
        telemetry.REGISTRY.get_sample_value(
            "pixelproof_rollbacks_total",
            {"namespace": "imagegen", "name": unique, "reason": "GateFailed"},
        )
        == 1.0
    )
    assert (
        telemetry.REGISTRY.get_sample_value(
            "pixelproof_gate_verdict",
            {"namespace": "imagegen", "name": unique, "gate": "errors", "verdict": "Fail"},
        )
        == 1.0
    )


def hold_on_outage(loop: RolloutLoop, prometheus: PrometheusServer) -> None:
    """Stop Prometheus once the gate has passed at the first step, wait until the gate
    sees the outage, then promote: the engine must refuse and hold."""
    loop.run_until(gate_passed("errors"), timeout=60, what="the error-rate gate to pass")
    prometheus.stop()
    loop.run_until(
        lambda r: r.gate("errors").get("consecutiveErrors", 0) >= 1,
        timeout=20,
        what="the gate to see the outage",
    )
    loop.commands["promote"] = "2025-03-01T12:00:00Z"
    loop.run_until(
        lambda r: r.status.get("holdingSince") is not None,
        timeout=10,
        what="the rollout to hold",
    )


HELD_AT_20: list[dict[str, Any]] = [
    {"setWeight": 20},
    {"pause": {"duration": "5m"}},
    {"setWeight": 100},
]
SHORT_PAUSE: list[dict[str, Any]] = [
    {"setWeight": 20},
    {"pause": {"duration": "1s"}},
    {"setWeight": 100},
]
UNTIL_PROMOTED: list[dict[str, Any]] = [{"setWeight": 20}, {"pause": {}}, {"setWeight": 100}]


def test_prometheus_down_holds_then_fails_at_the_progress_deadline(
    live_prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    sampler: Sampler,
    unique: str,
) -> None:
    prometheus = live_prometheus
    stable = generators(f"{unique}-stable")
    candidate = generators(f"{unique}-candidate")
    gates: list[dict[str, Any]] = [{"name": "errors", "template": "error-rate"}]
    deadline = 10
    spec = rollout_spec(
        prometheus.url,
        f"{unique}-stable",
        f"{unique}-candidate",
        gates,
        steps=UNTIL_PROMOTED,
        progress_deadline_seconds=deadline,
    )
    holder = WeightHolder()
    loop = RolloutLoop(spec, sampler, holder, name=unique)
    with Load(stable, candidate, holder):
        hold_on_outage(loop, prometheus)
        held_from = loop.ticks[-1].started
        loop.run_until(lambda r: r.finished, timeout=deadline + 10, what="the progress deadline")
    failed_at = loop.ticks[-1].started
    assert loop.phase == "Failed"
    assert max_candidate_weight(holder) == 20  # held at the first step: never promoted
    assert holder.get() == STABLE_ONLY
    gate = loop.gate("errors")
    assert gate["verdict"] == "Inconclusive" and gate["consecutiveErrors"] >= 5
    assert "cannot reach Prometheus" in gate["message"]
    reason = loop.status["rollbackReason"]
    assert f"progressDeadlineSeconds {deadline}" in reason and "gate errors Inconclusive" in reason
    assert deadline - 0.5 <= failed_at - held_from <= deadline + 2


def test_prometheus_back_in_time_lets_the_rollout_continue(
    live_prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    sampler: Sampler,
    unique: str,
) -> None:
    prometheus = live_prometheus
    stable = generators(f"{unique}-stable")
    candidate = generators(f"{unique}-candidate")
    gates: list[dict[str, Any]] = [{"name": "errors", "template": "error-rate"}]
    spec = rollout_spec(
        prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates, steps=UNTIL_PROMOTED
    )
    holder = WeightHolder()
    loop = RolloutLoop(spec, sampler, holder, name=unique)
    with Load(stable, candidate, holder):
        hold_on_outage(loop, prometheus)
        loop.run_until(
            lambda r: r.gate("errors").get("consecutiveErrors", 0) >= 3,
            timeout=20,
            what="more provider errors",
        )
        assert holder.get().candidate == 20 and not loop.finished
        prometheus.start()
        loop.run_until(lambda r: r.finished, timeout=60, what="the rollout to finish")
    assert loop.phase == "Succeeded", loop.status.get("message")
    gate = loop.gate("errors")
    assert gate["verdict"] == "Pass" and gate["consecutiveErrors"] == 0


@pytest.mark.parametrize("policy", ["hold", "fail"])
def test_empty_result_follows_on_no_data(
    prometheus: PrometheusServer, sampler: Sampler, unique: str, policy: str
) -> None:
    # No kube-state-metrics is scraped here, so the restarts query returns an empty vector.
    gates: list[dict[str, Any]] = [
        {
            "name": "restarts",
            "template": "container-restarts",
            "onNoData": policy,
            "failureLimit": 2,
        }
    ]
    spec = rollout_spec(
        prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates, steps=SHORT_PAUSE
    )
    holder = WeightHolder()
    loop = RolloutLoop(spec, sampler, holder, name=unique)
    if policy == "hold":
        loop.run_until(
            lambda r: len(r.samples_of("restarts")) >= 4, timeout=30, what="four judgements"
        )
        assert not loop.finished
        assert holder.get().candidate == 20
        gate = loop.gate("restarts")
        assert gate["verdict"] == "Inconclusive" and "no data" in gate["message"]
        assert "gate restarts Inconclusive" in loop.status["waitingOn"]
    else:
        loop.run_until(lambda r: r.finished, timeout=30, what="the rollback")
        assert loop.phase == "RolledBack"
        assert "no data" in loop.status["rollbackReason"]
        assert len(loop.samples_of("restarts")) == 2
    assert all(s.value is None and s.error is None for _, s in loop.samples_of("restarts"))


def test_rejected_query_stalls_with_prometheus_own_message(
    prometheus: PrometheusServer, sampler: Sampler, unique: str
) -> None:
    gates: list[dict[str, Any]] = [
        {
            "name": "broken",
            "query": 'sum(rate(generate_requests_total{service="{{target.service}}"}[{{interval}}])',
            "max": 1,
        }
    ]
    spec = rollout_spec(
        prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates, steps=SHORT_PAUSE
    )
    loop = RolloutLoop(spec, sampler, WeightHolder(), name=unique)
    loop.run_until(
        lambda r: (
            r.condition("Stalled").get("status") == "True"
            and "parse error" in r.condition("Stalled").get("message", "")
        ),
        timeout=30,
        what="a Stalled condition with Prometheus's message",
    )
    stalled = loop.condition("Stalled")
    assert stalled["reason"] == "QueryRejected"
    assert "parse error: unclosed left parenthesis" in stalled["message"]
    assert not loop.finished


def test_relative_to_stable_shows_both_values(
    prometheus: PrometheusServer,
    generators: Callable[..., Generator],
    sampler: Sampler,
    unique: str,
) -> None:
    stable = generators(f"{unique}-stable")
    candidate = generators(f"{unique}-candidate", faults={"latency_ms": 150})
    gates: list[dict[str, Any]] = [
        {"name": "latency", "template": "latency-p50", "failureLimit": 2}
    ]
    spec = rollout_spec(
        prometheus.url, f"{unique}-stable", f"{unique}-candidate", gates, steps=HELD_AT_20
    )
    holder = WeightHolder()
    loop = RolloutLoop(spec, sampler, holder, name=unique)
    with Load(stable, candidate, holder):
        loop.run_until(lambda r: r.finished, timeout=60, what="the rollback")
    assert loop.phase == "RolledBack"
    gate = loop.gate("latency")
    assert gate["verdict"] == "Fail"
    assert gate["value"] > 0.15 and gate["stableValue"] < 0.05
    assert gate["threshold"] == "<= 1.1 x stable"
    assert f'service="{unique}-candidate"' in gate["query"]
    assert f'service="{unique}-stable"' in gate["stableQuery"]
    assert f"(stable {gate['stableValue']:g})" in loop.status["rollbackReason"]
