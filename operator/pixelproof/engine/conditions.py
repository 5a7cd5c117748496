"""kstatus conditions (Ready, Reconciling, Stalled) so Flux health checks and
`kubectl wait --for=condition=Ready` understand a rollout."""

from __future__ import annotations

from pixelproof.api.status import Condition, ConditionStatus, RolloutStatus


def with_condition(
    conditions: list[Condition],
    kind: str,
    status: ConditionStatus,
    reason: str,
    message: str,
    generation: int,
    now: str,
) -> list[Condition]:
    """`conditions` with the one of type `kind` set; its transition time moves only when
    its status changes."""
    previous = next((c for c in conditions if c.type == kind), None)
    changed = previous is None or previous.status != status
    updated = Condition(
        type=kind,
        status=status,
        reason=reason,
        message=message,
        observed_generation=generation,
        last_transition_time=now if changed or previous is None else previous.last_transition_time,
    )
    return [c for c in conditions if c.type != kind] + [updated]


def with_conditions(status: RolloutStatus, stalled_reason: str | None, now: str) -> list[Condition]:
    """Conditions for the status; `stalled_reason` names a blocking problem outside terminal phases."""
    gen = status.observed_generation
    phase = status.phase
    message = status.message
    conditions = list(status.conditions)
    ready = phase == "Succeeded"
    conditions = with_condition(
        conditions, "Ready", "True" if ready else "False", phase, message, gen, now
    )
    if phase in ("RolledBack", "Failed"):
        conditions = with_condition(conditions, "Stalled", "True", phase, message, gen, now)
        conditions = with_condition(conditions, "Reconciling", "False", phase, message, gen, now)
    elif stalled_reason is not None:
        conditions = with_condition(
            conditions, "Stalled", "True", stalled_reason, message, gen, now
        )
        conditions = with_condition(
            conditions, "Reconciling", "False", stalled_reason, message, gen, now
        )
    elif ready:
        conditions = with_condition(conditions, "Stalled", "False", phase, "", gen, now)
        conditions = with_condition(conditions, "Reconciling", "False", phase, "", gen, now)
    else:
        conditions = with_condition(conditions, "Stalled", "False", phase, "", gen, now)
        conditions = with_condition(conditions, "Reconciling", "True", phase, message, gen, now)
    order = {"Ready": 0, "Reconciling": 1, "Stalled": 2}
    return sorted(conditions, key=lambda c: order.get(c.type, 3))
