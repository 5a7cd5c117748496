"""The one validation of a ModelRollout. `pixelproof lint`, `kubectl pixelproof lint`, the
local API server's admission and the engine all ask here, so they agree on every input.

It checks what the API server checks (the models carry every rule the CRD does; a test
compares their verdicts with the CRD's), then what only pixelproof can: that every
metric gate's query template renders, and that the router can mirror live traffic when
spec.liveTraffic asks it to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pixelproof.metrics.templating import gate_query_problems

from .base import API_VERSION, KIND
from .gatesets import GATE_SET_KINDS, GateSetSpec
from .messages import error_messages, excerpt
from .rollout import ModelRolloutSpec, ObjectMeta
from .traffic import MIRRORING_ROUTERS
from .wire import to_wire

TOP_LEVEL = ("apiVersion", "kind", "metadata", "spec", "status")


@dataclass(frozen=True)
class SpecCheck:
    """A usable spec (`model`), or the `errors` that make it unusable."""

    model: ModelRolloutSpec | None
    errors: tuple[str, ...] = ()


def check_spec(spec: Any, *, operator_checks: bool = True) -> SpecCheck:
    """Never raises: every problem comes back as a message naming its field. Without
    `operator_checks`, only what the API server itself checks."""
    wire = to_wire(spec, ("spec",))
    if wire.problems:
        return SpecCheck(None, tuple(wire.problems))
    if wire.value is None:
        return SpecCheck(None, ("spec: required",))
    try:
        model = ModelRolloutSpec.model_validate(wire.value, strict=True)
    except ValidationError as exc:
        return SpecCheck(None, tuple(error_messages(exc, ("spec",))))
    if not operator_checks:
        return SpecCheck(model)
    problems = tuple(
        f"spec.metrics.gates[{index}]: {problem}" for index, problem in gate_query_problems(model)
    ) + tuple(live_traffic_problems(model))
    return SpecCheck(None, problems) if problems else SpecCheck(model)


def live_traffic_problems(model: ModelRolloutSpec) -> list[str]:
    """The API server admits mirroring on any router; only pixelproof knows which can, and
    that a recorder needs an image."""
    live = model.live_traffic
    if live is None or not live.mirrors:
        return []
    problems = []
    router = model.traffic.kind
    if router not in MIRRORING_ROUTERS:
        problems.append(
            f"spec.liveTraffic: the {router} router cannot mirror requests to the prompt "
            "recorder; use a gatewayAPI or istio router, or give spec.liveTraffic.promptLog"
        )
    if live.recorder.image is None and model.evaluator is None:
        problems.append(
            "spec.liveTraffic.recorder.image: required when spec.evaluator (whose image the "
            "recorder runs by default) is unset"
        )
    return problems


def metadata_errors(metadata: Any) -> list[str]:
    """What the API server says of the metadata: a DNS-1123 subdomain name, a DNS-1123
    label namespace, label keys and values as Kubernetes allows them."""
    wire = to_wire(metadata, ("metadata",))
    if wire.problems:
        return wire.problems
    if wire.value is None:
        return ["metadata: required"]
    try:
        ObjectMeta.model_validate(wire.value, strict=True)
    except ValidationError as exc:
        return error_messages(exc, ("metadata",))
    return []


def validate_modelrollout(obj: Any, *, operator_checks: bool = True) -> list[str]:
    """Every reason this ModelRollout is refused; empty when it is valid. Without
    `operator_checks` it is what the API server admits: the operator's own checks (query
    templates, mirroring) then surface as Stalled, as they would in a cluster."""
    if not isinstance(obj, Mapping):
        return [f"<root>: must be an object, got {excerpt(obj)}"]
    errors = [f"<root>: unknown field {str(k)!r}" for k in obj if k not in TOP_LEVEL]
    if obj.get("apiVersion") != API_VERSION:
        errors.append(f"apiVersion: expected {API_VERSION!r}, got {excerpt(obj.get('apiVersion'))}")
    if obj.get("kind") != KIND:
        errors.append(f"kind: expected {KIND!r}, got {excerpt(obj.get('kind'))}")
    errors += metadata_errors(obj.get("metadata"))
    return errors + list(check_spec(obj.get("spec"), operator_checks=operator_checks).errors)


def validate_gate_set(obj: Any) -> list[str]:
    """Every reason this GateSet or ClusterGateSet is refused; empty when it is valid."""
    if not isinstance(obj, Mapping):
        return [f"<root>: must be an object, got {excerpt(obj)}"]
    errors = [f"<root>: unknown field {str(k)!r}" for k in obj if k not in TOP_LEVEL[:4]]
    if obj.get("apiVersion") != API_VERSION:
        errors.append(f"apiVersion: expected {API_VERSION!r}, got {excerpt(obj.get('apiVersion'))}")
    if obj.get("kind") not in GATE_SET_KINDS:
        errors.append(f"kind: expected one of {GATE_SET_KINDS}, got {excerpt(obj.get('kind'))}")
    errors += metadata_errors(obj.get("metadata"))
    wire = to_wire(obj.get("spec"), ("spec",))
    if wire.problems:
        return errors + wire.problems
    if wire.value is None:
        return [*errors, "spec: required"]
    try:
        GateSetSpec.model_validate(wire.value, strict=True)
    except ValidationError as exc:
        errors += error_messages(exc, ("spec",))
    return errors
