"""The reasons of the Normal Events the engine posts: what an operator may leave out.

A fleet of thousands of rollouts posts an Event for every step of every rollout, and each
is an API request and an object in etcd for an hour. Their story is also in each
rollout's status. An operator started with `--omit-event REASON` posts none of that
reason. Warnings are not on this list: why a rollout rolled back, stopped or is held is
always posted."""

from __future__ import annotations

NORMAL_REASONS = frozenset(
    {
        "RolloutStarted",
        "CandidateChanged",
        "SpecChanged",
        "CandidateReady",
        "StepStarted",
        "WeightsSet",
        "StepsSkipped",
        "WaitingForWindow",
        "EvaluationStarted",
        "EvaluationPass",
        "GatePass",
        "DryRunGatePass",
        "ReviewSkipped",
        "ReviewRequested",
        "ReviewPromoted",
        "MirrorChanged",
        "RecorderRemoved",
        "CommandIgnored",
        "Promoted",
        "PromoteFull",
        "Retry",
        "Succeeded",
    }
)


def omission_problems(reasons: tuple[str, ...]) -> list[str]:
    """What is wrong with a list of reasons to omit, a line per reason."""
    return [
        f"{reason!r} is not the reason of a Normal Event; Warnings are always posted "
        f"(Normal reasons: {', '.join(sorted(NORMAL_REASONS))})"
        for reason in reasons
        if reason not in NORMAL_REASONS
    ]
