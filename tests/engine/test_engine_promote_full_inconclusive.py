"""promote-full skips steps, never a verdict: an evaluation that ended inconclusive at the
current step holds the jump until a retry passes."""

from __future__ import annotations

from pixelproof_testkit.engine import make_spec, simulated

STEPS = [{"setWeight": 10}, {"evaluate": {"maxAttempts": 1}}, {"setWeight": 50}]


def test_promote_full_waits_for_an_inconclusive_evaluation_to_be_retried() -> None:
    world = simulated(make_spec(STEPS), evaluation_verdict="Inconclusive")
    for _ in range(20):
        world.tick()
        if "evaluation inconclusive" in world.waiting_on:
            break
    assert world.status["lastEvaluation"]["state"] == "Inconclusive"
    world.commands["promote-full"] = "p1"
    world.tick()
    assert world.status["phase"] == "Progressing"
    assert world.status["currentStep"] == 1
    assert "promote-full: evaluation inconclusive" in world.status["waitingOn"]
    assert world.weights is not None and world.weights.candidate == 10
    world.evaluation_verdict = "Pass"
    world.commands["retry"] = "r1"
    world.run(ticks=40)
    assert world.phase == "Succeeded"
    assert world.status["lastEvaluation"]["state"] == "Pass"
    assert world.weights is not None and world.weights.candidate == 100
