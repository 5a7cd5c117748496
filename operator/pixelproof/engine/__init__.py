"""The pure rollout engine."""

from .actions import (
    Action,
    EmitEvent,
    Notify,
    RecordGate,
    RemoveRecorder,
    ScaleCandidate,
    ScaleWithinBudget,
    SetMirror,
    SetRoutePolicies,
    SetWeights,
    StartEvaluation,
    StartRecorder,
    StopEvaluation,
)
from .decide import Decision, decide
from .observations import (
    CandidateReading,
    EvaluationReading,
    MetricSample,
    Observations,
    RecorderReading,
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
    "RecorderReading",
    "RemoveRecorder",
    "RouterReading",
    "ScaleCandidate",
    "ScaleWithinBudget",
    "SetMirror",
    "SetRoutePolicies",
    "SetWeights",
    "StartEvaluation",
    "StartRecorder",
    "StopEvaluation",
    "decide",
    "parse_spec",
]
