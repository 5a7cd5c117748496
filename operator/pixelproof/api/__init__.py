"""The ModelRollout API: spec and status models, and the CRD generated from them."""

from .base import API_VERSION, GROUP, KIND, PLURAL, VERSION
from .commands import (
    COMMANDS,
    Applicability,
    Command,
    annotation_for,
    command_applies,
    commands_from_annotations,
)
from .durations import parse_duration
from .evaluation import EvaluationSummary, GateVerdict
from .metrics import MetricGate, MetricsSpec
from .quality import QualityGates
from .rollout import ModelRollout, ModelRolloutSpec
from .status import (
    CANDIDATE_ONLY,
    STABLE_ONLY,
    TERMINAL_PHASES,
    Condition,
    EvaluationStatus,
    GateStatus,
    Phase,
    RollbackCause,
    RolloutStatus,
    Weights,
)
from .steps import Step

__all__ = [
    "API_VERSION",
    "CANDIDATE_ONLY",
    "COMMANDS",
    "GROUP",
    "KIND",
    "PLURAL",
    "STABLE_ONLY",
    "TERMINAL_PHASES",
    "VERSION",
    "Applicability",
    "Command",
    "Condition",
    "EvaluationStatus",
    "EvaluationSummary",
    "GateStatus",
    "GateVerdict",
    "MetricGate",
    "MetricsSpec",
    "ModelRollout",
    "ModelRolloutSpec",
    "Phase",
    "QualityGates",
    "RollbackCause",
    "RolloutStatus",
    "Step",
    "Weights",
    "annotation_for",
    "command_applies",
    "commands_from_annotations",
    "parse_duration",
]
