"""evaluate: run the evaluator Job against the golden set or recorded live prompts, and
gate on its verdict."""

from __future__ import annotations

from pixelproof.api.steps import Step

from ..actions import StartEvaluation
from ..context import Context
from ..evaluations import record_evaluation, start_evaluation
from ..gating import promotion_blocked
from ..live import live_evaluation_blocked
from ..outcome import Advance, Outcome, Stop, Wait


def evaluate(ctx: Context, step: Step) -> Outcome:
    evaluate = step.evaluate
    assert evaluate is not None
    st = ctx.status
    st.phase = "Progressing"
    current = st.last_evaluation
    if current is None or current.step != st.current_step:
        if not ctx.obs.candidate.ready:
            # An evaluator against an unready candidate would blame the model for its capacity.
            return Wait(
                f"candidate {ctx.spec.candidate.deployment} not ready to evaluate",
                counts_toward_deadline=True,
            )
        unrecorded = live_evaluation_blocked(ctx, evaluate)
        if unrecorded is not None:
            return unrecorded
        return start_evaluation(ctx, evaluate, attempt=1)
    if current.state == "Running":
        reading = ctx.obs.evaluation
        if reading is None or reading.job != current.job:
            ctx.actions.append(
                StartEvaluation(
                    st.current_step,
                    current.attempt,
                    current.job,
                    tuple(evaluate.tags),
                    ctx.obs.candidate.ready_replicas,
                )
            )
            return Wait(f"evaluation {current.job} to start", counts_toward_deadline=False)
        if reading.state == "Running":
            return Wait(f"evaluation {current.job} running", counts_toward_deadline=False)
        record_evaluation(ctx, current, reading)
    if current.state == "Pass":
        blocked = promotion_blocked(ctx)
        return Advance() if blocked is None else blocked
    if current.state == "Fail":
        return Stop(
            "RolledBack",
            f"evaluation failed at step {st.current_step + 1}: {current.message}",
            cause="EvaluationFailed",
        )
    if current.attempt < evaluate.max_attempts:
        ctx.event(
            "Warning",
            "EvaluationInconclusive",
            f"{current.message}; running attempt {current.attempt + 1} of {evaluate.max_attempts}",
        )
        return start_evaluation(ctx, evaluate, attempt=current.attempt + 1)
    return Wait(
        f"evaluation inconclusive: {current.message} (kubectl pixelproof retry {ctx.name})",
        counts_toward_deadline=True,
    )
