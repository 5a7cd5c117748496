"""Evaluator Jobs as the status records them: started, finished, stopped."""

from __future__ import annotations

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.status import EvaluationStatus
from pixelproof.api.steps import EvaluateStep

from .actions import StartEvaluation, StopEvaluation
from .context import Context
from .observations import EvaluationReading
from .outcome import Wait
from .revision import evaluation_job_name


def start_evaluation(ctx: Context, evaluate: EvaluateStep, attempt: int) -> Wait:
    st = ctx.status
    job = evaluation_job_name(ctx.name, st.revision, st.attempt, st.current_step, attempt)
    st.last_evaluation = EvaluationStatus(
        step=st.current_step, attempt=attempt, job=job, state="Running", started_at=ctx.stamp
    )
    ctx.actions.append(
        StartEvaluation(
            st.current_step, attempt, job, tuple(evaluate.tags), ctx.obs.candidate.ready_replicas
        )
    )
    ctx.event("Normal", "EvaluationStarted", f"evaluator Job {job} started (attempt {attempt})")
    return Wait(f"evaluation {job} running", counts_toward_deadline=False)


def record_evaluation(ctx: Context, current: EvaluationStatus, reading: EvaluationReading) -> None:
    summary: EvaluationSummary | None = reading.summary
    current.state = reading.state
    current.finished_at = ctx.stamp
    current.message = reading.message or (summary.reason if summary else "")
    if summary is not None:
        current.gates = summary.gates
        current.scores = summary.scores
        current.report = summary.report
    ctx.event(
        "Normal" if reading.state == "Pass" else "Warning",
        f"Evaluation{reading.state}",
        f"evaluator Job {current.job}: {current.message or reading.state}",
    )
    for gate in current.gates:
        if gate.dry_run and gate.verdict != "Pass":
            ctx.event(
                "Warning",
                f"DryRunGate{gate.verdict}",
                f"dry-run quality gate {gate.name} (evaluator Job {current.job}): {gate.reason}",
            )


def stop_running_evaluation(ctx: Context) -> None:
    current = ctx.status.last_evaluation
    if current is not None and current.state == "Running":
        current.state = "Inconclusive"
        current.message = "stopped: the rollout ended or started over"
        current.finished_at = ctx.stamp
        ctx.actions.append(StopEvaluation(current.job))
