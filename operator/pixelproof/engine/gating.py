"""Metric gates across a decision: judging this decision's samples, and holding
promotion while any gate is not yet passing."""

from __future__ import annotations

from pixelproof.api.metrics import MetricGate
from pixelproof.api.status import GateStatus

from .actions import RecordGate
from .context import Context
from .metric_gates import judge
from .outcome import Stop, Wait


def judge_metrics(ctx: Context) -> Stop | None:
    """Judge this decision's samples; a Stop when a gate rolls the rollout back."""
    st = ctx.status
    if not st.traffic_shifted:
        return None
    previous = {g.name: g for g in st.gates}
    for sample in ctx.obs.metrics:
        gate = ctx.gates.get(sample.gate)
        if gate is None:
            continue
        judgement = judge(gate, sample, previous.get(gate.name), ctx.stamp)
        judged = judgement.gate
        previous[gate.name] = judged
        ctx.actions.append(RecordGate(judged))
        old = next((g for g in st.gates if g.name == gate.name), None)
        if old is None or old.verdict != judged.verdict:
            # Dry-run verdicts have their own reasons, so alerts on GateFail stay quiet.
            prefix = "DryRun" if gate.dry_run else ""
            ctx.event(
                "Normal" if judged.verdict == "Pass" else "Warning",
                f"{prefix}Gate{judged.verdict}",
                f"{'dry-run ' if gate.dry_run else ''}gate {gate.name}: {judged.message} "
                f"(query: {judged.query})",
            )
        if judgement.rejected and not gate.dry_run:
            ctx.stalled_reason = "QueryRejected"
        if judgement.rollback:
            st.gates = _ordered(ctx, previous)
            return Stop("RolledBack", _breach_message(gate, judged), cause="GateFailed")
    st.gates = _ordered(ctx, previous)
    return None


def promotion_blocked(ctx: Context) -> Wait | None:
    """A hold while gates forbid promotion: not yet sampled, inconclusive, or breached
    below their limit. Gates start judging only once the candidate has had traffic;
    dry-run gates never hold."""
    if not ctx.status.traffic_shifted:
        return None
    judged = {g.name: g for g in ctx.status.gates}
    unsettled = []
    for gate in ctx.spec.metrics.gates:
        if gate.dry_run:
            continue
        current = judged.get(gate.name)
        if current is None:
            unsettled.append(f"gate {gate.name} Pending")
        elif current.verdict != "Pass":
            unsettled.append(f"gate {gate.name} {current.verdict}: {current.message}")
    return Wait("; ".join(unsettled), counts_toward_deadline=True) if unsettled else None


def _ordered(ctx: Context, by_name: dict[str, GateStatus]) -> list[GateStatus]:
    return [by_name[g.name] for g in ctx.spec.metrics.gates if g.name in by_name]


def _breach_message(gate: MetricGate, status: GateStatus) -> str:
    value = "no data" if status.value is None else f"{status.value:g}"
    if status.stable_value is not None:
        value += f" (stable {status.stable_value:g})"
    return f"metric gate {gate.name} failed: value {value}, threshold {status.threshold}: {status.message}"
