"""One local stack for the whole folder: the real operator on the local Kubernetes API, a
real Prometheus, reference generator processes and the real evaluator run as local
processes. Only a service-mesh data plane cannot run here; the stack's traffic driver stands
in for it. Every selected scenario's rollout starts at once, each in its own namespace, and
each test waits for its own rollout to end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pixelproof_demo.prerequisites import missing_prerequisites
from pixelproof_demo.stack import LocalStack, RolloutHandle
from pixelproof_testkit.catalog import ABSOLUTE_GATES, BY_ID, DRIFT, SCENARIO_PARAM

# Requests per second through each route: enough for the metric gates, light enough for
# some twenty generator processes on two cores.
TRAFFIC_RATE = 2.0


# Module scope: the stack (an operator, Prometheus, some twenty generators) must not keep
# running through the rest of the suite.
@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    problems = missing_prerequisites()
    if problems:
        pytest.fail("end-to-end prerequisites missing:\n" + "\n".join(problems))
    with LocalStack(evaluator_slots=2, traffic_rate=TRAFFIC_RATE) as running:
        yield running


@pytest.fixture(scope="module")
def rollouts(stack: LocalStack, request: pytest.FixtureRequest) -> dict[str, RolloutHandle]:
    """The rollouts of every scenario a selected test names, started together."""
    wanted = sorted(
        {
            item.callspec.params[SCENARIO_PARAM]
            for item in request.session.items
            if hasattr(item, "callspec") and SCENARIO_PARAM in item.callspec.params
        }
    )
    handles: dict[str, RolloutHandle] = {}
    for number, scenario_id in enumerate(wanted):
        scenario = BY_ID[scenario_id]
        app = stack.add_app(f"e2e-{scenario_id}", {**DRIFT, "fault_seed": number})
        handles[scenario_id] = stack.add_rollout(
            app,
            "poster-gen",
            scenario.faults,
            steps=scenario.steps,
            quality_gates=ABSOLUTE_GATES,
        )
    return handles
