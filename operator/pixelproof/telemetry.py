"""The operator's own Prometheus metrics: every gate decision, observable as a number.

Metrics live in a registry of their own (REGISTRY) so tests and embedders never
collide with the default one. Rollouts are labelled `namespace` and `name`, as
Argo Rollouts and Flagger do; scrape the operator with `honor_labels: true` so a
rollout's namespace is not renamed to `exported_namespace`.

The operator calls plain functions: `observe_decision` after each engine decision
(or the finer `observe_status`, `observe_gate`, `observe_evaluation`,
`observe_rollback`), `observe_reconcile` with each reconcile's duration,
`observe_reconcile_error` when a reconcile raises, `observe_watch_state` when one of its
watches changes state, and `forget` when a ModelRollout is deleted."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from pixelproof.api.metrics import MetricGate
from pixelproof.api.status import EvaluationStatus, GateStatus, Phase
from pixelproof.engine.actions import Action, RecordGate
from pixelproof.engine.gate_bounds import bounds_of
from pixelproof.kube.errors import ApiError
from pixelproof.kube.reflector import WATCH_STATES, WatchState
from pixelproof.metrics.catalog import apply_template

REGISTRY = CollectorRegistry(auto_describe=True)

PHASES: tuple[Phase, ...] = (
    "Pending",
    "Progressing",
    "Paused",
    "Succeeded",
    "RolledBack",
    "Failed",
)
VERDICTS = ("Pass", "Fail", "Inconclusive", "Pending")

_ROLLOUT = ("namespace", "name")
_GATE = (*_ROLLOUT, "gate")

ROLLOUT_PHASE = Gauge(
    "pixelproof_rollout_phase",
    "1 for the rollout's current phase, 0 for the others.",
    [*_ROLLOUT, "phase"],
    registry=REGISTRY,
)
ROLLOUT_STEP = Gauge(
    "pixelproof_rollout_step",
    "Index of the rollout's current step (0-based; the step count once all are done).",
    _ROLLOUT,
    registry=REGISTRY,
)
ROLLOUT_WEIGHT = Gauge(
    "pixelproof_rollout_weight_percent",
    "Traffic weight per backend: desired by the rollout, or verified by reading the router back.",
    [*_ROLLOUT, "backend", "kind"],
    registry=REGISTRY,
)
ROLLOUT_CONDITION = Gauge(
    "pixelproof_rollout_condition",
    "1 for each kstatus condition's current status (Ready, Reconciling, Stalled).",
    [*_ROLLOUT, "type", "status"],
    registry=REGISTRY,
)
GATE_VALUE = Gauge(
    "pixelproof_gate_value",
    "A metric gate's last value for the candidate; NaN when the query returned no data.",
    _GATE,
    registry=REGISTRY,
)
GATE_STABLE_VALUE = Gauge(
    "pixelproof_gate_stable_value",
    "A relativeToStable gate's last value for the stable model; NaN when no data.",
    _GATE,
    registry=REGISTRY,
)
GATE_THRESHOLD = Gauge(
    "pixelproof_gate_threshold",
    "A metric gate's effective bound: the tighter of min/max and the stable value times "
    "minRatio/maxRatio.",
    [*_GATE, "bound"],
    registry=REGISTRY,
)
GATE_VERDICT = Gauge(
    "pixelproof_gate_verdict",
    "1 for a metric gate's last verdict, 0 for the others.",
    [*_GATE, "verdict"],
    registry=REGISTRY,
)
GATE_DRY_RUN = Gauge(
    "pixelproof_gate_dry_run",
    "1 for a dry-run metric gate (judged, never enforced), 0 for an enforced one.",
    _GATE,
    registry=REGISTRY,
)
GATE_EVALUATIONS = Counter(
    "pixelproof_gate_evaluations",
    "Metric gate judgements, by verdict.",
    [*_GATE, "verdict"],
    registry=REGISTRY,
)
EVALUATION_DURATION = Histogram(
    "pixelproof_evaluation_duration_seconds",
    "Wall time of finished golden-set evaluations, from Job start to verdict.",
    _ROLLOUT,
    buckets=(30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200),
    registry=REGISTRY,
)
EVALUATIONS = Counter(
    "pixelproof_evaluations",
    "Finished golden-set evaluations, by verdict.",
    [*_ROLLOUT, "verdict"],
    registry=REGISTRY,
)
RECONCILE_SECONDS = Histogram(
    "pixelproof_reconcile_seconds",
    "Time to observe, decide, apply and write status, per reconcile.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "pixelproof_reconcile_errors",
    "Reconciles that raised, by exception type.",
    [*_ROLLOUT, "error"],
    registry=REGISTRY,
)
ROLLBACKS = Counter(
    "pixelproof_rollbacks",
    "Rollouts that returned all traffic to stable, by reason.",
    [*_ROLLOUT, "reason"],
    registry=REGISTRY,
)

WATCH_STATE = Gauge(
    "pixelproof_watch_state",
    "1 for the state of the operator's watch of a kind in a namespace (* for all "
    "namespaces): listing, synced, unserved (no such kind), forbidden, failing.",
    ["resource", "namespace", "state"],
    registry=REGISTRY,
)
ALL_NAMESPACES = "*"

_Metric = Gauge | Counter | Histogram
_lock = threading.Lock()
_series: dict[tuple[str, str], set[tuple[_Metric, tuple[str, ...]]]] = {}
_evaluations_counted: dict[tuple[str, str], set[str]] = {}


def start_metrics_server(port: int, addr: str = "0.0.0.0") -> Any:
    """Serve REGISTRY on http://addr:port/metrics from a daemon thread; returns the
    server (call its shutdown() to stop). In a pod, Prometheus scrapes it from outside,
    hence every interface by default."""
    server, _thread = start_http_server(port, addr=addr, registry=REGISTRY)
    return server


def observe_status(namespace: str, name: str, status: Mapping[str, Any]) -> None:
    """Phase, step, weights and every gate's last judgement, from the status (wire form)."""
    phase = status.get("phase", "Pending")
    for candidate in PHASES:
        _child(ROLLOUT_PHASE, namespace, name, candidate).set(1 if candidate == phase else 0)
    _child(ROLLOUT_STEP, namespace, name).set(status.get("currentStep", 0))
    for kind, key in (("desired", "weights"), ("verified", "verifiedWeights")):
        weights = status.get(key)
        if weights:
            for backend in ("stable", "candidate"):
                _child(ROLLOUT_WEIGHT, namespace, name, backend, kind).set(weights.get(backend, 0))
    for condition in status.get("conditions") or []:
        for value in ("True", "False", "Unknown"):
            _child(ROLLOUT_CONDITION, namespace, name, condition["type"], value).set(
                1 if condition.get("status") == value else 0
            )
    for gate in status.get("gates") or []:
        _set_gate_gauges(namespace, name, GateStatus.model_validate(gate))


def observe_gate(
    namespace: str,
    name: str,
    gate: GateStatus | Mapping[str, Any],
    definition: MetricGate | None = None,
) -> None:
    """One judgement of one gate: counts it by verdict and sets its gauges. With the
    gate's definition, also its effective thresholds."""
    judged = gate if isinstance(gate, GateStatus) else GateStatus.model_validate(gate)
    _child(GATE_EVALUATIONS, namespace, name, judged.name, judged.verdict).inc()
    _set_gate_gauges(namespace, name, judged)
    if definition is not None:
        bounds = bounds_of(apply_template(definition))
        for bound, value in bounds.effective(judged.stable_value):
            _child(GATE_THRESHOLD, namespace, name, judged.name, bound).set(value)


def observe_evaluation(
    namespace: str, name: str, evaluation: EvaluationStatus | Mapping[str, Any]
) -> None:
    """A golden-set evaluation, counted once per Job when it has finished."""
    current = (
        evaluation
        if isinstance(evaluation, EvaluationStatus)
        else EvaluationStatus.model_validate(evaluation)
    )
    if current.state == "Running" or current.finished_at is None:
        return
    with _lock:
        counted = _evaluations_counted.setdefault((namespace, name), set())
        if current.job in counted:
            return
        counted.add(current.job)
    _child(EVALUATIONS, namespace, name, current.state).inc()
    seconds = (_time(current.finished_at) - _time(current.started_at)).total_seconds()
    _child(EVALUATION_DURATION, namespace, name).observe(max(seconds, 0.0))


def observe_rollback(namespace: str, name: str, reason: str) -> None:
    _child(ROLLBACKS, namespace, name, reason).inc()


def observe_reconcile(seconds: float) -> None:
    RECONCILE_SECONDS.observe(seconds)


def observe_reconcile_error(namespace: str, name: str, error: BaseException | str) -> None:
    """A reconcile that raised; labelled by exception type to keep the series few."""
    # The API's refusals share one label whatever their meaning, as before they had classes.
    kind = (
        error
        if isinstance(error, str)
        else "ApiError"
        if isinstance(error, ApiError)
        else type(error).__name__
    )
    _child(RECONCILE_ERRORS, namespace, name, kind).inc()


def observe_watch_state(resource: str, namespace: str | None, state: WatchState) -> None:
    """The state a watch of `resource` (its plural) in `namespace` (None: all) is in now."""
    where = namespace or ALL_NAMESPACES
    for candidate in WATCH_STATES:
        WATCH_STATE.labels(resource, where, candidate).set(1 if candidate == state else 0)


def observe_decision(
    namespace: str,
    name: str,
    gates: Mapping[str, MetricGate],
    previous: Mapping[str, Any] | None,
    status: Mapping[str, Any],
    actions: Iterable[Action],
) -> None:
    """Everything one engine decision changed: status gauges, each gate judged (from its
    RecordGate action, with its definition from `gates` by name), a finished evaluation,
    and a rollback when the phase turned RolledBack or Failed, by status.rollbackCause."""
    for action in actions:
        if isinstance(action, RecordGate):
            observe_gate(namespace, name, action.gate, gates.get(action.gate.name))
    observe_status(namespace, name, status)
    evaluation = status.get("lastEvaluation")
    if evaluation:
        observe_evaluation(namespace, name, evaluation)
    before = (previous or {}).get("phase")
    after = status.get("phase")
    if after in ("RolledBack", "Failed") and before != after:
        observe_rollback(namespace, name, str(status.get("rollbackCause") or after))


def forget(namespace: str, name: str) -> None:
    """Drop every series of a deleted rollout so dashboards stop showing it. Counters go
    too: Prometheus's rate() and increase() handle their disappearance."""
    with _lock:
        series = _series.pop((namespace, name), set())
        _evaluations_counted.pop((namespace, name), None)
    for metric, values in series:
        metric.remove(*values)


def _child(metric: _Metric, namespace: str, name: str, *rest: str) -> Any:
    """metric.labels(...), remembering the series so forget() can remove it."""
    values = (namespace, name, *rest)
    with _lock:
        _series.setdefault((namespace, name), set()).add((metric, values))
    return metric.labels(*values)


def _set_gate_gauges(namespace: str, name: str, gate: GateStatus) -> None:
    _child(GATE_VALUE, namespace, name, gate.name).set(_number(gate.value))
    _child(GATE_DRY_RUN, namespace, name, gate.name).set(1 if gate.dry_run else 0)
    if gate.stable_query is not None or gate.stable_value is not None:
        _child(GATE_STABLE_VALUE, namespace, name, gate.name).set(_number(gate.stable_value))
    for verdict in VERDICTS:
        _child(GATE_VERDICT, namespace, name, gate.name, verdict).set(
            1 if verdict == gate.verdict else 0
        )


def _number(value: float | None) -> float:
    return math.nan if value is None else value


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
