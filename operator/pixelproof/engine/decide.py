"""The rollout engine: (spec, status, observations, now) -> (new status, actions).

Pure: no I/O, no clock, no Kubernetes. Every piece of rollout state lives in the
status it returns, so the operator can die at any line and resume exactly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from pixelproof.api.commands import COMMANDS, Command
from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.metrics import MetricGate
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.status import (
    TERMINAL_PHASES,
    EvaluationStatus,
    GateStatus,
    Phase,
    RolloutStatus,
    Weights,
)
from pixelproof.api.steps import Step
from pixelproof.metrics.catalog import apply_template

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
from .conditions import with_conditions
from .metric_gates import judge
from .observations import EvaluationReading, Observations
from .revision import evaluation_job_name, revision_of
from .spec_checks import check_spec
from .timefmt import format_time, seconds_since

STABLE_ONLY = Weights(stable=100, candidate=0)
CANDIDATE_ONLY = Weights(stable=0, candidate=100)
_MAX_STEPS_PER_DECISION = 200


@dataclass
class Decision:
    status: dict[str, Any]
    actions: list[Action] = field(default_factory=list)


def decide(
    spec: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    observations: Observations,
    now: datetime,
    *,
    name: str,
    namespace: str = "default",
) -> Decision:
    """Decide what a rollout does next. Never raises on bad input: a spec that slipped past
    the schema, or a status it cannot read, yields a Stalled condition with a message."""
    stamp = format_time(now)
    try:
        prior = RolloutStatus.model_validate(dict(status or {}))
    except ValidationError as exc:
        prior = RolloutStatus(
            message=f"status could not be read and was reset: {_first_error(exc)}"
        )
    try:
        parsed = ModelRolloutSpec.model_validate(dict(spec))
    except ValidationError as exc:
        return _stalled(
            prior, observations, "InvalidSpec", f"invalid spec: {_validation_text(exc)}", stamp
        )
    problems = check_spec(parsed)
    if problems:
        return _stalled(
            prior, observations, "InvalidSpec", "invalid spec: " + "; ".join(problems), stamp
        )
    run = _Run(parsed, prior.model_copy(deep=True), observations, now, stamp, name, namespace)
    run.step()
    return Decision(status=run.finish(), actions=run.actions)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _validation_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "spec"
        parts.append(f"spec.{where}: {err['msg']}")
    return "; ".join(parts)


def _stalled(
    prior: RolloutStatus, obs: Observations, reason: str, message: str, stamp: str
) -> Decision:
    status = prior.model_copy(deep=True)
    status.observed_generation = obs.generation
    status.message = message
    status.waiting_on = message
    status.conditions = with_conditions(status, reason, stamp)
    actions: list[Action] = []
    if prior.message != message:
        actions.append(EmitEvent("Warning", reason, message))
    return Decision(status=status.to_wire(), actions=actions)


class _Run:
    """One decision: mutates a copy of the status and collects actions."""

    def __init__(
        self,
        spec: ModelRolloutSpec,
        status: RolloutStatus,
        obs: Observations,
        now: datetime,
        stamp: str,
        name: str,
        namespace: str,
    ) -> None:
        self.spec = spec
        self.status = status
        self.obs = obs
        self.now = now
        self.stamp = stamp
        self.name = name
        self.namespace = namespace
        self.actions: list[Action] = []
        self.stalled_reason: str | None = None
        self.hold: str | None = None
        self.gates = {g.name: apply_template(g) for g in spec.metrics.gates}

    # --- lifecycle -------------------------------------------------------

    def step(self) -> None:
        if self._track_revision():
            return
        self._apply_commands()
        if self.status.phase in TERMINAL_PHASES:
            self._keep_terminal_state()
            return
        if self._blocked_by_problems():
            self._check_deadline()
            return
        self._ensure_candidate_capacity()
        if self._judge_metrics():
            return
        if self.status.phase == "Pending":
            if not self.obs.candidate.ready:
                self._wait(
                    f"candidate {self.spec.candidate.deployment} not ready ({self.obs.candidate.ready_replicas}/{self.spec.candidate.replicas})",
                    holding=True,
                )
                self._check_deadline()
                return
            self._set_phase("Progressing")
            self._event(
                "Normal",
                "CandidateReady",
                f"candidate {self.spec.candidate.deployment} is ready; starting step 1",
            )
            self.status.step_started_at = self.stamp
        self._progress()
        self._check_deadline()

    def finish(self) -> dict[str, Any]:
        status = self.status
        status.observed_generation = self.obs.generation
        if status.phase not in TERMINAL_PHASES:
            status.waiting_on = self.hold
            status.message = self._progress_message()
        status.conditions = with_conditions(status, self.stalled_reason, self.stamp)
        unique: list[Action] = []
        for action in self.actions:
            if action not in unique:
                unique.append(action)
        self.actions = unique
        return status.to_wire()

    # --- revisions and commands -----------------------------------------

    def _track_revision(self) -> bool:
        """Start or restart the rollout when its revision says so. True when this decision
        must end here: traffic is returning to stable, so this decision's readings are stale."""
        revision = revision_of(self.spec)
        st = self.status
        if not st.revision:
            # An operator that died between its first weight write and its first status write
            # left the first step's traffic in place: keep it rather than dip to zero and back.
            first = self.spec.steps[0].set_weight or 0
            self._restart(revision, attempt=1, tolerate_weight=first)
            self._event(
                "Normal",
                "RolloutStarted",
                f"rolling out {self.spec.candidate.deployment} next to {self.spec.stable.deployment}",
            )
        elif st.revision != revision:
            self._stop_running_evaluation()
            self._restart(revision, attempt=1)
            self._event(
                "Normal",
                "CandidateChanged",
                "the candidate changed: the rollout starts over from step 1",
            )
            self._wait("traffic to return to stable before starting over", holding=True)
            return True
        elif st.phase in ("RolledBack", "Failed") and self.obs.generation != st.observed_generation:
            self._restart(revision, attempt=st.attempt + 1)
            self._event(
                "Normal",
                "SpecChanged",
                "the spec changed after the rollout ended: starting a new rollout",
            )
        return False

    def _restart(self, revision: str, attempt: int, tolerate_weight: int = 0) -> None:
        """A fresh status for a new rollout. Traffic the router already gives the candidate is
        returned to stable unless it is within `tolerate_weight` and the candidate is ready."""
        acknowledged = dict(self.status.acknowledged_commands)
        self.status = RolloutStatus(
            phase="Pending",
            revision=revision,
            attempt=attempt,
            observed_generation=self.obs.generation,
            step_started_at=self.stamp,
            acknowledged_commands=acknowledged,
            conditions=self.status.conditions,
            weights=STABLE_ONLY,
        )
        reading = self.obs.router.weights
        if reading is None or reading == STABLE_ONLY:
            return
        if reading.candidate > tolerate_weight or not self.obs.candidate.ready:
            self.actions.append(SetWeights(STABLE_ONLY))

    def _apply_commands(self) -> None:
        for command in COMMANDS:
            token = self.obs.commands.get(command)
            if token is None or self.status.acknowledged_commands.get(command) == token:
                continue
            self.status.acknowledged_commands[command] = token
            self._run_command(command)

    def _run_command(self, command: Command) -> None:
        st = self.status
        terminal = st.phase in TERMINAL_PHASES
        if command == "abort":
            if terminal:
                self._event(
                    "Normal", "CommandIgnored", f"abort: the rollout already ended ({st.phase})"
                )
            else:
                self._roll_back("RolledBack", "Aborted", "aborted by command")
        elif command == "retry":
            if st.phase in ("RolledBack", "Failed"):
                self._restart(st.revision, attempt=st.attempt + 1)
                self._event("Normal", "Retry", "retry: starting the rollout again")
            elif self._inconclusive_evaluation_step() is not None:
                step = self._inconclusive_evaluation_step()
                assert step is not None and st.last_evaluation is not None
                self._event("Normal", "Retry", "retry: running the evaluation again")
                self._start_evaluation(step, attempt=st.last_evaluation.attempt + 1)
            else:
                self._event(
                    "Normal", "CommandIgnored", f"retry: nothing to retry in phase {st.phase}"
                )
        elif command == "promote-full":
            if terminal:
                self._event(
                    "Normal",
                    "CommandIgnored",
                    f"promote-full: the rollout already ended ({st.phase})",
                )
            else:
                st.promoted_step = -1
                self._event(
                    "Normal",
                    "PromoteFull",
                    "promote-full: skipping the remaining steps once no gate is failed, running or inconclusive",
                )
        elif command == "promote":
            step = self._current()
            if not terminal and step is not None and step.pause is not None:
                st.promoted_step = st.current_step
                self._event(
                    "Normal", "Promoted", f"promote: ending the pause at step {st.current_step + 1}"
                )
            else:
                self._event("Normal", "CommandIgnored", "promote: the rollout is not paused")

    def _inconclusive_evaluation_step(self) -> Step | None:
        evaluation = self.status.last_evaluation
        step = self._current()
        if step is None or step.evaluate is None or evaluation is None:
            return None
        if evaluation.step != self.status.current_step or evaluation.state != "Inconclusive":
            return None
        return step

    # --- terminal phases ---------------------------------------------------

    def _keep_terminal_state(self) -> None:
        """Level-triggered: someone may have moved the weights since the rollout ended."""
        desired = CANDIDATE_ONLY if self.status.phase == "Succeeded" else STABLE_ONLY
        self.status.weights = desired
        reading = self.obs.router.weights
        if reading is not None:
            self.status.verified_weights = reading
            if reading != desired:
                self.actions.append(SetWeights(desired))
        if (
            self.status.phase != "Succeeded"
            and self.spec.rollback.scale_down_candidate
            and self.obs.candidate.replicas > 0
        ):
            self.actions.append(ScaleCandidate(0))

    def _roll_back(self, phase: Phase, reason: str, message: str) -> None:
        st = self.status
        self._stop_running_evaluation()
        st.weights = STABLE_ONLY
        self.actions.append(SetWeights(STABLE_ONLY))
        if self.spec.rollback.scale_down_candidate:
            self.actions.append(ScaleCandidate(0))
        self._set_phase(phase)
        st.rollback_reason = message
        st.message = message
        st.waiting_on = None
        st.holding_since = None
        st.finished_at = self.stamp
        self._event("Warning", reason, message)
        self._notify(phase, message)

    def _succeed(self) -> None:
        st = self.status
        self._set_phase("Succeeded")
        st.finished_at = self.stamp
        st.waiting_on = None
        st.holding_since = None
        st.message = f"{self.spec.candidate.deployment} serves 100% of traffic"
        self._event("Normal", "Succeeded", st.message)
        self._notify("Succeeded", st.message)

    def _notify(self, phase: Phase, message: str) -> None:
        hook = self.spec.notifications.webhook
        if hook is None:
            return
        for wanted in hook.events:
            if wanted == phase:
                self.actions.append(Notify(wanted, message))

    # --- holds and problems -----------------------------------------------

    def _blocked_by_problems(self) -> bool:
        problems = list(self.obs.problems)
        if self.obs.router.error:
            problems.append(self.obs.router.error)
        if self.obs.candidate.error:
            problems.append(self.obs.candidate.error)
        if not problems:
            return False
        message = "; ".join(problems)
        self.stalled_reason = "MissingDependency"
        self._wait(message, holding=True)
        if self.status.waiting_on != message:
            self._event("Warning", "MissingDependency", message)
        return True

    def _wait(self, reason: str, *, holding: bool) -> None:
        self.hold = reason
        if holding and self.status.holding_since is None:
            self.status.holding_since = self.stamp
        if not holding:
            self.status.holding_since = None

    def _check_deadline(self) -> None:
        st = self.status
        if st.phase in TERMINAL_PHASES or st.holding_since is None or self.hold is None:
            return
        held = seconds_since(st.holding_since, self.now)
        limit = self.spec.progress_deadline_seconds
        if held is not None and held >= limit:
            self._roll_back(
                "Failed",
                "ProgressDeadlineExceeded",
                f"no progress for {int(held)}s (progressDeadlineSeconds {limit}) while waiting: {self.hold}",
            )

    def _ensure_candidate_capacity(self) -> None:
        wanted = self.spec.candidate.replicas
        if self.obs.candidate.replicas != wanted:
            self.actions.append(ScaleCandidate(wanted))

    # --- metric gates ---------------------------------------------------

    def _judge_metrics(self) -> bool:
        """Judge this decision's samples; True when a gate rolled the rollout back."""
        if not self.status.traffic_shifted:
            return False
        previous = {g.name: g for g in self.status.gates}
        for sample in self.obs.metrics:
            gate = self.gates.get(sample.gate)
            if gate is None:
                continue
            judgement = judge(gate, sample, previous.get(gate.name), self.stamp)
            previous[gate.name] = judgement.gate
            self.actions.append(RecordGate(judgement.gate))
            old = self.status_gate(gate.name)
            if old is None or old.verdict != judgement.gate.verdict:
                kind = "Normal" if judgement.gate.verdict == "Pass" else "Warning"
                self._event(
                    kind,
                    f"Gate{judgement.gate.verdict}",
                    f"gate {gate.name}: {judgement.gate.message} (query: {judgement.gate.query})",
                )
            if judgement.rejected:
                self.stalled_reason = "QueryRejected"
            if judgement.rollback:
                self.status.gates = self._ordered_gates(previous)
                self._roll_back(
                    "RolledBack", "GateFailed", self._breach_message(gate, judgement.gate)
                )
                return True
        self.status.gates = self._ordered_gates(previous)
        return False

    def status_gate(self, name: str) -> GateStatus | None:
        return next((g for g in self.status.gates if g.name == name), None)

    def _ordered_gates(self, by_name: dict[str, GateStatus]) -> list[GateStatus]:
        return [by_name[g.name] for g in self.spec.metrics.gates if g.name in by_name]

    @staticmethod
    def _breach_message(gate: MetricGate, status: GateStatus) -> str:
        value = "no data" if status.value is None else f"{status.value:g}"
        if status.stable_value is not None:
            value += f" (stable {status.stable_value:g})"
        return f"metric gate {gate.name} failed: value {value}, threshold {status.threshold}: {status.message}"

    def _unsettled_gates(self) -> list[str]:
        """Gates that forbid promotion: not yet sampled, inconclusive, or breached below the limit."""
        judged = {g.name: g for g in self.status.gates}
        out = []
        for gate in self.spec.metrics.gates:
            current = judged.get(gate.name)
            if current is None or current.verdict != "Pass":
                verdict = "Pending" if current is None else current.verdict
                detail = "" if current is None else f": {current.message}"
                out.append(f"gate {gate.name} {verdict}{detail}")
        return out

    # --- steps -------------------------------------------------------------

    def _current(self) -> Step | None:
        steps = self.spec.steps
        return steps[self.status.current_step] if self.status.current_step < len(steps) else None

    def _progress(self) -> None:
        st = self.status
        st.current_step = min(st.current_step, len(self.spec.steps))
        for _ in range(_MAX_STEPS_PER_DECISION):
            if st.phase in TERMINAL_PHASES:
                return
            if st.promoted_step == -1 and self._promote_full():
                return
            step = self._current()
            done = self._complete() if step is None else self._run_step(step)
            if not done or st.phase in TERMINAL_PHASES:
                return
            self._advance()

    def _advance(self) -> None:
        st = self.status
        st.current_step += 1
        st.step_started_at = self.stamp
        st.holding_since = None
        self.hold = None
        step = self._current()
        if step is not None:
            self._event(
                "Normal",
                "StepStarted",
                f"step {st.current_step + 1}/{len(self.spec.steps)}: {step.describe()}",
            )

    def _run_step(self, step: Step) -> bool:
        if step.set_weight is not None:
            self._set_phase("Progressing")
            return self._shift(step.set_weight)
        if step.pause is not None:
            return self._pause(step)
        return self._evaluate(step)

    def _promotion_blocked(self) -> bool:
        unsettled = self._unsettled_gates() if self.status.traffic_shifted else []
        if unsettled:
            self._wait("; ".join(unsettled), holding=True)
            return True
        return False

    def _shift(self, candidate_weight: int) -> bool:
        st = self.status
        desired = Weights(stable=100 - candidate_weight, candidate=candidate_weight)
        if candidate_weight > 0 and not self.obs.candidate.ready:
            self._wait(f"candidate {self.spec.candidate.deployment} not ready", holding=True)
            return False
        if st.weights != desired:
            if self._promotion_blocked():
                return False
            self._event(
                "Normal",
                "WeightsSet",
                f"traffic: stable {desired.stable}%, candidate {desired.candidate}%",
            )
            st.weights = desired
            st.traffic_shifted = st.traffic_shifted or candidate_weight > 0
        if self.obs.router.weights != desired:
            self.actions.append(SetWeights(desired))
            self._wait(
                f"router to report stable {desired.stable}/candidate {desired.candidate}",
                holding=True,
            )
            return False
        st.verified_weights = self.obs.router.weights
        return True

    def _pause(self, step: Step) -> bool:
        assert step.pause is not None
        st = self.status
        promoted = st.promoted_step == st.current_step
        seconds = step.pause.seconds
        elapsed = seconds_since(st.step_started_at, self.now) or 0.0
        if not promoted and seconds is None:
            self._set_phase("Paused")
            self._wait("promotion: kubectl pixelproof promote " + self.name, holding=False)
            return False
        if not promoted and seconds is not None and elapsed < seconds:
            self._set_phase("Paused")
            self._wait(f"pause: {int(seconds - elapsed)}s left", holding=False)
            return False
        self._set_phase("Progressing")
        if self._promotion_blocked():
            return False
        st.promoted_step = None
        return True

    def _evaluate(self, step: Step) -> bool:
        assert step.evaluate is not None
        st = self.status
        self._set_phase("Progressing")
        current = st.last_evaluation
        if current is None or current.step != st.current_step:
            if not self.obs.candidate.ready:
                # An evaluator against an unready candidate would blame the model for its capacity.
                self._wait(
                    f"candidate {self.spec.candidate.deployment} not ready to evaluate",
                    holding=True,
                )
                return False
            self._start_evaluation(step, attempt=1)
            return False
        if current.state == "Running":
            reading = self.obs.evaluation
            if reading is None or reading.job != current.job:
                self.actions.append(
                    StartEvaluation(
                        st.current_step, current.attempt, current.job, tuple(step.evaluate.tags)
                    )
                )
                self._wait(f"evaluation {current.job} to start", holding=False)
                return False
            if reading.state == "Running":
                self._wait(f"evaluation {current.job} running", holding=False)
                return False
            self._record_evaluation(current, reading)
        if current.state == "Pass":
            return not self._promotion_blocked()
        if current.state == "Fail":
            self._roll_back(
                "RolledBack",
                "EvaluationFailed",
                f"evaluation failed at step {st.current_step + 1}: {current.message}",
            )
            return False
        if current.attempt < step.evaluate.max_attempts:
            self._event(
                "Warning",
                "EvaluationInconclusive",
                f"{current.message}; running attempt {current.attempt + 1} of {step.evaluate.max_attempts}",
            )
            self._start_evaluation(step, attempt=current.attempt + 1)
            return False
        self._wait(
            f"evaluation inconclusive: {current.message} (kubectl pixelproof retry {self.name})",
            holding=True,
        )
        return False

    def _start_evaluation(self, step: Step, attempt: int) -> None:
        assert step.evaluate is not None
        st = self.status
        job = evaluation_job_name(self.name, st.revision, st.attempt, st.current_step, attempt)
        st.last_evaluation = EvaluationStatus(
            step=st.current_step, attempt=attempt, job=job, state="Running", started_at=self.stamp
        )
        self.actions.append(
            StartEvaluation(st.current_step, attempt, job, tuple(step.evaluate.tags))
        )
        self._event(
            "Normal", "EvaluationStarted", f"evaluator Job {job} started (attempt {attempt})"
        )
        self._wait(f"evaluation {job} running", holding=False)

    def _record_evaluation(self, current: EvaluationStatus, reading: EvaluationReading) -> None:
        summary: EvaluationSummary | None = reading.summary
        current.state = reading.state
        current.finished_at = self.stamp
        current.message = reading.message or (summary.reason if summary else "")
        if summary is not None:
            current.gates = summary.gates
            current.scores = summary.scores
            current.report = summary.report
        kind = "Normal" if reading.state == "Pass" else "Warning"
        self._event(
            kind,
            f"Evaluation{reading.state}",
            f"evaluator Job {current.job}: {current.message or reading.state}",
        )

    def _stop_running_evaluation(self) -> None:
        current = self.status.last_evaluation
        if current is not None and current.state == "Running":
            current.state = "Inconclusive"
            current.message = "stopped: the rollout ended or started over"
            current.finished_at = self.stamp
            self.actions.append(StopEvaluation(current.job))

    def _promote_full(self) -> bool:
        """Jump to full weight unless an evaluation runs or a gate is unsettled; True when it decided."""
        current = self.status.last_evaluation
        if (
            current is not None
            and current.state == "Running"
            and current.step == self.status.current_step
        ):
            return False
        if self._promotion_blocked():
            return True
        self.status.current_step = len(self.spec.steps)
        self.status.promoted_step = None
        return False

    def _complete(self) -> bool:
        if not self._shift(100):
            return False
        if self._promotion_blocked():
            return False
        self._succeed()
        return False

    # --- bookkeeping -------------------------------------------------------

    def _set_phase(self, phase: Phase) -> None:
        if self.status.phase != phase:
            self.status.phase = phase

    def _event(self, kind: str, reason: str, message: str) -> None:
        self.actions.append(EmitEvent("Normal" if kind == "Normal" else "Warning", reason, message))

    def _progress_message(self) -> str:
        st = self.status
        total = len(self.spec.steps)
        step = self._current()
        where = (
            "all steps done"
            if step is None
            else f"step {st.current_step + 1}/{total} ({step.describe()})"
        )
        weights = f"stable {st.weights.stable}% / candidate {st.weights.candidate}%"
        waiting = f": waiting on {self.hold}" if self.hold else ""
        return f"{st.phase} at {where}, {weights}{waiting}"
