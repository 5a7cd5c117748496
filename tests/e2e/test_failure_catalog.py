"""Every failure of the catalog, injected into a real candidate and rolled out for real, is
caught by the gate made for it before the candidate gets more than its first small step of
traffic; good candidates reach 100 % every time."""

from __future__ import annotations

from typing import Any

import pytest

from pixelproof_demo.golden import PROMPTS
from pixelproof_demo.manifests import METRIC_GATES
from pixelproof_demo.stack import LocalStack, RolloutHandle
from pixelproof_testkit.catalog import (
    EVALUATION_CAUGHT,
    FIRST_EVALUATE_STEP,
    FIRST_WEIGHT,
    GOOD,
    METRIC_CAUGHT,
    RETRY_STORM,
    SCENARIO_PARAM,
    SCENES,
)

pytestmark = pytest.mark.slow

# Every rollout of the session runs at once on two shared cores; each waits this long at most.
TERMINAL_TIMEOUT = 540.0


def _ids(scenarios: Any) -> list[Any]:
    return [pytest.param(s.id, id=f"{s.failure}-{s.id}") for s in scenarios]


def _finished(stack: LocalStack, handle: RolloutHandle) -> dict[str, Any]:
    return stack.wait_terminal(handle, TERMINAL_TIMEOUT)


def _gate(gates: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [g for g in gates if g.get("name") == name]
    assert found, f"no gate {name!r} in {[g.get('name') for g in gates]}"
    return found[0]


def _max_candidate_weight(stack: LocalStack, handle: RolloutHandle) -> int:
    """The highest candidate weight the operator ever put on the route, from its Events."""
    weights = [0]
    for event in stack.events(handle):
        if event.get("reason") == "WeightsSet":
            text = event.get("message", "")
            weights.append(int(text.rsplit("candidate ", 1)[-1].split("%")[0]))
    return max(weights)


@pytest.mark.parametrize(SCENARIO_PARAM, _ids(EVALUATION_CAUGHT))
def test_quality_fault_is_caught_by_its_evaluation_gate(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    scenario = next(s for s in EVALUATION_CAUGHT if s.id == scenario_id)
    handle = rollouts[scenario_id]
    status = _finished(stack, handle)
    assert status["phase"] == "RolledBack", status.get("message")
    assert status["currentStep"] <= FIRST_EVALUATE_STEP
    assert status["weights"] == {"stable": 100, "candidate": 0}
    evaluation = status["lastEvaluation"]
    assert evaluation["state"] == "Fail", evaluation
    gate = _gate(evaluation["gates"], scenario.evaluation_gate or "")
    assert gate["verdict"] == "fail", gate
    assert gate["reason"] in status["rollbackReason"]
    assert _max_candidate_weight(stack, handle) <= FIRST_WEIGHT


def test_adversarial_prompts_are_worse_than_curated_ones(
    stack: LocalStack, rollouts: dict[str, RolloutHandle]
) -> None:
    """F10: the paired comparison fails, and the damage is in the non-curated items."""
    status = _finished(stack, rollouts["f10-adversarial-prompts"])
    scores = status["lastEvaluation"]["scores"]
    assert scores["lpipsMean.adversarial"] > 10 * max(scores["lpipsMean.curated"], 1e-4)


@pytest.mark.parametrize(SCENARIO_PARAM, _ids(METRIC_CAUGHT))
def test_serving_fault_is_caught_by_its_metric_gate(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    scenario = next(s for s in METRIC_CAUGHT if s.id == scenario_id)
    handle = rollouts[scenario_id]
    status = _finished(stack, handle)
    assert status["phase"] == "RolledBack", status.get("message")
    assert status.get("lastEvaluation") is None, "an evaluation ran before the metric gate acted"
    gate = _gate(status["gates"], scenario.metric_gate or "")
    assert gate["verdict"] == "Fail", gate
    declared = next(g for g in METRIC_GATES if g["name"] == scenario.metric_gate)
    assert gate["consecutiveBreaches"] == declared["failureLimit"]
    assert scenario.metric_gate in status["rollbackReason"]
    assert "threshold" in status["rollbackReason"]
    assert status["weights"] == {"stable": 100, "candidate": 0}
    assert _max_candidate_weight(stack, handle) <= FIRST_WEIGHT


@pytest.mark.parametrize(SCENARIO_PARAM, _ids([RETRY_STORM]))
def test_evaluator_bounds_its_retries_when_the_candidate_fails(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    """F12: every request fails with a 502; the evaluator retries each a bounded number of
    times (3 attempts) and the generator itself counts no more than that."""
    handle = rollouts[scenario_id]
    status = _finished(stack, handle)
    assert status["phase"] == "RolledBack", status.get("message")
    assert _gate(status["lastEvaluation"]["gates"], "failureRate")["verdict"] == "fail"
    assert _max_candidate_weight(stack, handle) == 0
    attempts = handle.candidate.metric("generate_evaluation_requests_total", {"code": "502"})
    items = sum(1 for prompt in PROMPTS if set(prompt.tags) & set(SCENES))
    assert items < attempts <= 3 * items


@pytest.mark.parametrize(SCENARIO_PARAM, _ids(GOOD))
def test_good_candidate_reaches_full_traffic(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    status = _finished(stack, rollouts[scenario_id])
    assert status["phase"] == "Succeeded", status.get("message")
    assert status["weights"] == {"stable": 0, "candidate": 100}
    assert status["verifiedWeights"] == {"stable": 0, "candidate": 100}
    assert status.get("rollbackReason") is None
    assert status["lastEvaluation"]["state"] == "Pass"
    assert all(g["verdict"] == "Pass" for g in status["gates"]), status["gates"]
