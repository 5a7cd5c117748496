"""Property tests: for any valid spec and any sequence of observations, the engine keeps
its promises (weights within the declared step, no success over an unsettled gate,
determinism, and every decision either ends the rollout or names what it waits on)."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.status import Weights
from pixelproof.engine import (
    CandidateReading,
    EmitEvent,
    EvaluationReading,
    MetricSample,
    Observations,
    RouterReading,
    SetWeights,
    StartEvaluation,
    decide,
    parse_spec,
)
from pixelproof.engine.event_reasons import NORMAL_REASONS
from pixelproof_testkit.engine import T0, make_spec

TERMINAL = ("Succeeded", "RolledBack", "Failed")


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(
        st.lists(st.sampled_from(["weight", "pause", "timed", "evaluate"]), min_size=1, max_size=8)
    )
    weights = sorted(draw(st.lists(st.integers(0, 100), min_size=len(kinds), max_size=len(kinds))))
    steps: list[dict[str, Any]] = []
    for kind, weight in zip(kinds, weights, strict=True):
        if kind == "weight":
            steps.append({"setWeight": weight})
        elif kind == "pause":
            steps.append({"pause": {}})
        elif kind == "timed":
            steps.append({"pause": {"duration": f"{draw(st.integers(1, 120))}s"}})
        else:
            steps.append({"evaluate": {"maxAttempts": draw(st.integers(1, 3))}})
    gates = [
        {
            "name": f"g{i}",
            "query": "q",
            "max": 0.5,
            "failureLimit": draw(st.integers(1, 3)),
            "critical": draw(st.booleans()),
            "onNoData": draw(st.sampled_from(["hold", "fail"])),
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    extra: dict[str, Any] = {"progressDeadlineSeconds": draw(st.integers(10, 600))}
    if gates:
        extra["metrics"] = {"prometheus": {"address": "http://p:9090"}, "gates": gates}
    return make_spec(steps, **extra)


weights_strategy = st.builds(lambda c: Weights(stable=100 - c, candidate=c), st.integers(0, 100))
metric_value = st.one_of(st.none(), st.floats(0, 1), st.just("error"))


@st.composite
def observation_sequences(draw: st.DrawFn) -> list[dict[str, Any]]:
    return draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "router": st.sampled_from(["applied", "stale", "random", "error"]),
                    "random_weights": weights_strategy,
                    "ready": st.booleans(),
                    "evaluation": st.sampled_from(
                        ["none", "Running", "Pass", "Fail", "Inconclusive"]
                    ),
                    "metric": metric_value,
                    "command": st.sampled_from([None, "promote", "promote-full", "abort", "retry"]),
                    "seconds": st.integers(0, 90),
                    "problem": st.booleans() | st.just(False),
                }
            ),
            min_size=1,
            max_size=40,
        )
    )


def allowed_candidate_weight(spec: dict[str, Any], step: int) -> int:
    steps = spec["steps"]
    if step >= len(steps):
        return 100
    declared = [s["setWeight"] for s in steps[: step + 1] if "setWeight" in s]
    return max(declared, default=0)


def play(spec: dict[str, Any], sequence: list[dict[str, Any]]) -> None:
    status: dict[str, Any] = {}
    applied = Weights()
    last_job: str | None = None
    now = T0
    for index, raw in enumerate(sequence):
        if raw["router"] == "applied":
            reading = RouterReading(weights=applied)
        elif raw["router"] == "stale":
            reading = RouterReading(weights=Weights())
        elif raw["router"] == "random":
            reading = RouterReading(weights=raw["random_weights"])
        else:
            reading = RouterReading(error="HTTPRoute ns/gen not found")
        evaluation = None
        if last_job is not None and raw["evaluation"] != "none":
            verdict = raw["evaluation"]
            summary = (
                None if verdict == "Running" else EvaluationSummary(verdict=verdict, reason="r")
            )
            evaluation = EvaluationReading(job=last_job, state=verdict, summary=summary)
        metrics = []
        for gate in spec.get("metrics", {}).get("gates", []):
            value = raw["metric"]
            if value == "error":
                metrics.append(
                    MetricSample(gate=gate["name"], query="q", error="connection refused")
                )
            else:
                metrics.append(MetricSample(gate=gate["name"], query="q", value=value))
        obs = Observations(
            router=reading,
            candidate=CandidateReading(
                ready=raw["ready"], ready_replicas=int(raw["ready"]), replicas=1
            ),
            evaluation=evaluation,
            metrics=tuple(metrics),
            commands={raw["command"]: f"t{index}"} if raw["command"] else {},
            problems=("Service ns/gen-candidate not found",) if raw["problem"] else (),
        )
        decision = decide(parse_spec(spec), status, obs, now, name="gen", namespace="ns")
        again = decide(
            parse_spec(copy.deepcopy(spec)),
            copy.deepcopy(status),
            obs,
            now,
            name="gen",
            namespace="ns",
        )
        assert decision == again, "the engine must be deterministic"
        status = decision.status
        phase = status["phase"]
        limit = allowed_candidate_weight(spec, status["currentStep"])
        for action in decision.actions:
            if isinstance(action, SetWeights):
                assert action.weights.candidate in (0, *range(0, limit + 1)), (action, limit)
                assert action.weights.stable + action.weights.candidate == 100
                applied = action.weights
            if isinstance(action, StartEvaluation):
                last_job = action.job
            if isinstance(action, EmitEvent):
                # What --omit-event accepts must be every Normal reason and no Warning.
                assert (action.reason in NORMAL_REASONS) == (action.type == "Normal"), action
        if phase not in TERMINAL:
            assert status["weights"]["candidate"] <= limit
            assert status.get("waitingOn"), (
                f"non-terminal decision must name what it waits on: {status}"
            )
        if phase == "Succeeded":
            assert status["weights"] == {"stable": 0, "candidate": 100}
            for gate in spec.get("metrics", {}).get("gates", []):
                judged = {g["name"]: g for g in status.get("gates", [])}
                assert judged.get(gate["name"], {}).get("verdict") == "Pass", (
                    "success over an unsettled gate"
                )
            evaluation_status = status.get("lastEvaluation")
            assert evaluation_status is None or evaluation_status["state"] == "Pass"
        stalled = [c for c in status["conditions"] if c["type"] == "Stalled"]
        assert stalled and stalled[0]["observedGeneration"] == 1
        now += timedelta(seconds=raw["seconds"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), sequence=observation_sequences())
def test_engine_promises_hold_for_any_observations(
    spec: dict[str, Any], sequence: list[dict[str, Any]]
) -> None:
    play(spec, sequence)


@settings(max_examples=100, deadline=None)
@given(spec=specs())
def test_every_run_ends_in_a_cooperative_world(spec: dict[str, Any]) -> None:
    """Router applies, candidate ready, evaluations finish, metrics report: the rollout ends."""
    status: dict[str, Any] = {}
    applied = Weights()
    job: str | None = None
    now = T0
    for index in range(400):
        metrics = tuple(
            MetricSample(gate=g["name"], query="q", value=0.1)
            for g in spec.get("metrics", {}).get("gates", [])
        )
        evaluation = (
            None
            if job is None
            else EvaluationReading(job=job, state="Pass", summary=EvaluationSummary(verdict="Pass"))
        )
        paused = status.get("phase") == "Paused"
        obs = Observations(
            router=RouterReading(weights=applied),
            candidate=CandidateReading(ready=True, ready_replicas=1, replicas=1),
            evaluation=evaluation,
            metrics=metrics,
            commands={"promote": f"t{index}"} if paused else {},
        )
        decision = decide(parse_spec(spec), status, obs, now, name="gen")
        status = decision.status
        for action in decision.actions:
            if isinstance(action, SetWeights):
                applied = action.weights
            if isinstance(action, StartEvaluation):
                job = action.job
        if status["phase"] in TERMINAL:
            break
        now += timedelta(seconds=30)
    assert status["phase"] == "Succeeded", status


@settings(max_examples=200, deadline=None)
@given(
    spec=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "steps",
                        "stable",
                        "candidate",
                        "traffic",
                        "setWeight",
                        "pause",
                        "metrics",
                        "gates",
                        "name",
                    ]
                ),
                children,
                max_size=4,
            )
        ),
        max_leaves=12,
    ).filter(lambda v: isinstance(v, dict))
)
def test_garbage_spec_is_stalled_never_raises(spec: dict[str, Any]) -> None:
    decision = decide(parse_spec(spec), {}, Observations(), T0, name="gen")
    stalled = next(c for c in decision.status["conditions"] if c["type"] == "Stalled")
    assert stalled["status"] == "True"
    assert not any(isinstance(a, SetWeights) for a in decision.actions)
