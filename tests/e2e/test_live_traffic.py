"""Live traffic end to end: the real operator mirrors a share of the route's traffic to a
real prompt recorder process (the stack's traffic driver stands in for the gateway and sends
the copies over HTTP), and the real evaluator replays what it recorded. A candidate whose
fault shows only on prompts the golden set lacks passes the golden evaluation and is rolled
back by the live one, naming the gate; a good candidate passes both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pixelproof.kube import DEPLOYMENTS, HTTPROUTES
from pixelproof_demo.golden import PROMPTS
from pixelproof_demo.manifests import LIVE_TRAFFIC, QUALITY_GATES, live_steps
from pixelproof_demo.prerequisites import missing_prerequisites
from pixelproof_demo.stack import LocalStack, RolloutHandle
from pixelproof_testkit.catalog import DRIFT
from pixelproof_testkit.kube import said
from pixelproof_testkit.polling import wait_for

# Two rollouts, each with a golden and a live evaluation, on two shared cores: the module's
# stack starts inside the first test's time.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TRIGGER = "neon"
# Real users' prompts: none of them is in the golden set, and each names the trigger.
LIVE_PROMPTS = (
    'a neon sign that says "Open Late"',
    'a neon shop front reading "Night Market"',
    'a neon arcade banner with "Game Over"',
    'a rainy street with a neon "Noodles" sign',
)
STEPS = live_steps()
GOLDEN_STEP = next(i for i, s in enumerate(STEPS) if s.get("evaluate") == {})
LIVE_STEP = next(i for i, s in enumerate(STEPS) if (s.get("evaluate") or {}).get("source"))
TIMEOUT = 600.0
# The demo's gates rest on the golden set's calibration, which live prompts lack; both
# candidates here are the stable model plus per-call noise, so the divergence gate (relative
# to stable's own replay distance in the same run) is the live bound that fits them.
GATES = {**QUALITY_GATES, "divergence": {"maxNoiseMultiple": 3}}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    problems = missing_prerequisites()
    if problems:
        pytest.fail("end-to-end prerequisites missing:\n" + "\n".join(problems))
    assert not any(TRIGGER in p.prompt for p in PROMPTS), "the golden set must lack the trigger"
    with LocalStack(evaluator_slots=2, traffic_rate=4.0, traffic_prompts=LIVE_PROMPTS) as running:
        yield running


@pytest.fixture(scope="module")
def rollouts(stack: LocalStack) -> dict[str, RolloutHandle]:
    handles = {}
    faults = {
        "good": {**DRIFT, "fault_seed": 2},
        # A heavy blur, only on prompts that say "neon".
        "faulty": {**DRIFT, "fault_seed": 3, "blur": 4, "fault_trigger": TRIGGER},
    }
    for number, (name, candidate_faults) in enumerate(faults.items()):
        app = stack.add_app(f"live-{name}", {**DRIFT, "fault_seed": 10 + number})
        handles[name] = stack.add_rollout(
            app,
            "poster-gen",
            candidate_faults,
            steps=STEPS,
            live_traffic=LIVE_TRAFFIC,
            quality_gates=GATES,
        )
    return handles


def _passed_jobs(stack: LocalStack, handle: RolloutHandle) -> list[str]:
    return [message for reason, message in said(stack.events(handle)) if reason == "EvaluationPass"]


def _route_filters(stack: LocalStack, handle: RolloutHandle) -> list[Any]:
    route = stack.kube.get(HTTPROUTES.path(handle.namespace, handle.route))
    return list(route["spec"]["rules"][0].get("filters") or [])


def _recorder_gone(stack: LocalStack, handle: RolloutHandle) -> bool:
    return stack.kube.get(DEPLOYMENTS.path(handle.namespace, "poster-gen-recorder")) is None


def _expect_live_traffic_cleaned_up(stack: LocalStack, handle: RolloutHandle) -> None:
    wait_for(lambda: not _route_filters(stack, handle), 30, "the mirror to leave the route")
    wait_for(lambda: _recorder_gone(stack, handle), 30, "the recorder to go")


def test_a_fault_only_real_prompts_show_passes_golden_and_is_rolled_back_live(
    stack: LocalStack, rollouts: dict[str, RolloutHandle]
) -> None:
    handle = rollouts["faulty"]
    status = stack.wait_terminal(handle, TIMEOUT)
    assert status["phase"] == "RolledBack", status.get("message")
    assert status["rollbackCause"] == "EvaluationFailed"
    evaluation = status["lastEvaluation"]
    assert evaluation["step"] == LIVE_STEP and evaluation["state"] == "Fail", (
        status.get("rollbackReason"),
        evaluation.get("gates"),
    )
    assert [j for j in _passed_jobs(stack, handle) if f"-s{GOLDEN_STEP}-" in j], (
        "the golden evaluation passed first"
    )
    failed = [g["name"] for g in evaluation["gates"] if g["verdict"] == "Fail"]
    assert failed and all(name.startswith("live.") for name in failed), evaluation["gates"]
    assert any(name in status["rollbackReason"] for name in failed), status["rollbackReason"]
    assert status["weights"] == {"stable": 100, "candidate": 0}
    _expect_live_traffic_cleaned_up(stack, handle)


def test_a_good_candidate_passes_golden_and_live(
    stack: LocalStack, rollouts: dict[str, RolloutHandle]
) -> None:
    handle = rollouts["good"]
    status = stack.wait_terminal(handle, TIMEOUT)
    assert status["phase"] == "Succeeded", status.get("message")
    passed = _passed_jobs(stack, handle)
    assert [j for j in passed if f"-s{GOLDEN_STEP}-" in j]
    assert [j for j in passed if f"-s{LIVE_STEP}-" in j]
    mirrored = handle.traffic.mirrored.get("poster-gen-recorder")
    assert mirrored is not None and mirrored.accepted >= 4, mirrored
    _expect_live_traffic_cleaned_up(stack, handle)
