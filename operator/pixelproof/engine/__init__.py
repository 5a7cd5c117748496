"""The pure rollout engine."""

from .actions import (
    Action,
    EmitEvent,
    Notify,
    RecordGate,
    ScaleCandidate,
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

__all__ = [
    "Action",
    "CandidateReading",
    "Decision",
    "EmitEvent",
    "EvaluationReading",
    "MetricSample",
    "Notify",
    "Observations",
    "RecordGate",
    "RouterReading",
    "ScaleCandidate",
    "SetWeights",
    "StartEvaluation",
    "StopEvaluation",
    "decide",
]
