"""The pure rollout engine."""

from .actions import (
    Action,
    EmitEvent,
    Notify,
    RecordGate,
    ScaleCandidate,
    ScaleWithinBudget,
    SetRoutePolicies,
    SetWeights,
    StartEvaluation,
    StopEvaluation,
)
from .decide import Decision, decide
from .observations import (
    CandidateReading,
    EvaluationReading,
    MetricSample,
    Observations,
    RouterReading,
)
from .spec import ParsedSpec, parse_spec

__all__ = [
    "Action",
    "CandidateReading",
    "Decision",
    "EmitEvent",
    "EvaluationReading",
    "MetricSample",
    "Notify",
    "Observations",
    "ParsedSpec",
    "RecordGate",
    "RouterReading",
    "ScaleCandidate",
    "ScaleWithinBudget",
    "SetRoutePolicies",
    "SetWeights",
    "StartEvaluation",
    "StopEvaluation",
    "decide",
    "parse_spec",
]
