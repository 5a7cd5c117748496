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
    BY_ID,
    EVALUATION_CAUGHT,
    FIRST_EVALUATE_STEP,
    FIRST_WEIGHT,
    GOOD,
    METRIC_CAUGHT,
    RETRY_STORM,
    SCENARIO_PARAM,
    SCENES,
)
from pixelproof_testkit.stack_rollouts import then

pytestmark = pytest.mark.slow

# Every rollout of the session runs at once on two shared cores; each waits this long at most.
TERMINAL_TIMEOUT = 540.0


def _ids(scenarios: Any) -> list[Any]:
    return [pytest.param(s.id, id=f"{s.failure}-{s.id}") for s in scenarios]


def _worse_on_adversarial(status: dict[str, Any]) -> bool:
    scores = status["lastEvaluation"]["scores"]
    return bool(scores["lpipsMean.adversarial"] > 10 * max(scores["lpipsMean.curated"], 1e-4))


@pytest.mark.parametrize(SCENARIO_PARAM, _ids(EVALUATION_CAUGHT))
def test_quality_fault_is_caught_by_its_evaluation_gate(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    gate = BY_ID[scenario_id].evaluation_gate or ""
    (
        then(stack, rollouts[scenario_id]).expect_terminal(TERMINAL_TIMEOUT)
        .expect_phase("RolledBack")
        .expect(
            f"the rollback by step {FIRST_EVALUATE_STEP}",
            lambda s: s["currentStep"] <= FIRST_EVALUATE_STEP,
        )
        .expect_status(weights={"stable": 100, "candidate": 0})
        .expect_evaluation("Fail")
        .expect_evaluation_gate(gate, "Fail")
        .expect_evaluation_gate_in_rollback_reason(gate)
        .expect_candidate_weight_at_most(FIRST_WEIGHT)
    )  # fmt: skip


def test_adversarial_prompts_are_worse_than_curated_ones(
    stack: LocalStack, rollouts: dict[str, RolloutHandle]
) -> None:
    """F10: the paired comparison fails, and the damage is in the non-curated items."""
    (
        then(stack, rollouts["f10-adversarial-prompts"]).expect_terminal(TERMINAL_TIMEOUT)
        .expect("adversarial items ten times worse than curated ones", _worse_on_adversarial)
    )  # fmt: skip


@pytest.mark.parametrize(SCENARIO_PARAM, _ids(METRIC_CAUGHT))
def test_serving_fault_is_caught_by_its_metric_gate(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    gate = BY_ID[scenario_id].metric_gate or ""
    declared = next(g for g in METRIC_GATES if g["name"] == gate)
    (
        then(stack, rollouts[scenario_id]).expect_terminal(TERMINAL_TIMEOUT)
        .expect_phase("RolledBack")
        # No evaluation ran before the metric gate acted.
        .expect_status(lastEvaluation=None)
        .expect_metric_gate(gate, verdict="Fail")
        .expect_metric_gate(gate, consecutiveBreaches=declared["failureLimit"])
        .expect_rollback_reason(gate)
        .expect_rollback_reason("threshold")
        .expect_status(weights={"stable": 100, "candidate": 0})
        .expect_candidate_weight_at_most(FIRST_WEIGHT)
    )  # fmt: skip


@pytest.mark.parametrize(SCENARIO_PARAM, _ids([RETRY_STORM]))
def test_evaluator_bounds_its_retries_when_the_candidate_fails(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    """F12: every request fails with a 502; the evaluator retries each a bounded number of
    times (3 attempts) and the generator itself counts no more than that."""
    handle = rollouts[scenario_id]
    (
        then(stack, handle).expect_terminal(TERMINAL_TIMEOUT)
        .expect_phase("RolledBack")
        .expect_evaluation_gate("failureRate", "Fail")
        .expect_candidate_weight_at_most(0)
    )  # fmt: skip
    attempts = handle.candidate.metric("generate_evaluation_requests_total", {"code": "502"})
    items = sum(1 for prompt in PROMPTS if set(prompt.tags) & set(SCENES))
    assert items < attempts <= 3 * items


@pytest.mark.parametrize(SCENARIO_PARAM, _ids(GOOD))
def test_good_candidate_reaches_full_traffic(
    stack: LocalStack, rollouts: dict[str, RolloutHandle], scenario_id: str
) -> None:
    (
        then(stack, rollouts[scenario_id]).expect_terminal(TERMINAL_TIMEOUT)
        .expect_phase("Succeeded")
        .expect_status(weights={"stable": 0, "candidate": 100})
        .expect_status(verifiedWeights={"stable": 0, "candidate": 100})
        .expect_status(rollbackReason=None)
        .expect_evaluation("Pass")
        .expect_all_metric_gates("Pass")
    )  # fmt: skip
