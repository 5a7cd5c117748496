"""The ModelRollout API: spec and status models, and the CRD generated from them."""

from .base import API_VERSION, GROUP, KIND, PLURAL, VERSION
from .commands import COMMANDS, Command, annotation_for, commands_from_annotations
from .durations import parse_duration
from .evaluation import EvaluationSummary, GateVerdict
from .metrics import MetricGate, MetricsSpec
from .quality import QualityGates
from .rollout import ModelRollout, ModelRolloutSpec
from .status import (
    TERMINAL_PHASES,
    Condition,
    EvaluationStatus,
    GateStatus,
    Phase,
    RolloutStatus,
    Weights,
)
from .steps import Step

__all__ = [
    "API_VERSION",
    "COMMANDS",
    "GROUP",
    "KIND",
    "PLURAL",
    "TERMINAL_PHASES",
    "VERSION",
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
    "RolloutStatus",
    "Step",
    "Weights",
    "annotation_for",
    "commands_from_annotations",
    "parse_duration",
]
