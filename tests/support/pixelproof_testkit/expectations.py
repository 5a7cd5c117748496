"""Expectations on one rollout that wait for it to get there: each polls until it holds or
its timeout passes, and then fails with what it last saw and the rollout's whole status, so
a failure on a loaded machine says where the rollout stood rather than only that it was late."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, Self, TypeVar

from pixelproof.api.status import TERMINAL_PHASES

from .kube import said
from .polling import wait_for

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0


class RolloutView(Protocol):
    """Where expectations read one rollout from."""

    def status(self) -> dict[str, Any]: ...

    def events(self) -> list[dict[str, Any]]: ...

    def describe(self) -> str: ...


def status_text(title: str, status: Mapping[str, Any]) -> str:
    return f"{title} status:\n{json.dumps(status, indent=2, sort_keys=True, default=str)}"


def expect_within(
    view: RolloutView,
    what: str,
    probe: Callable[[], T],
    holds: Callable[[T], bool],
    timeout: float,
) -> T:
    """Poll `probe` until `holds` accepts its value; return that value. A lookup that fails
    (a field or an object not there yet) counts as not holding yet."""
    seen: list[Any] = []

    def check() -> bool:
        try:
            seen[:] = [probe()]
            return holds(seen[0])
        except (KeyError, IndexError, TypeError) as missing:
            seen[:] = [missing]
            return False

    try:
        wait_for(check, timeout, what)
    except TimeoutError:
        last = repr(seen[0]) if seen else "nothing"
        raise AssertionError(
            f"expected {what} within {timeout:g}s; last seen: {last}\n{view.describe()}"
        ) from None
    value: T = seen[0]
    return value


def candidate_weights_set(events: list[dict[str, Any]]) -> list[int]:
    """Every candidate weight the operator reported putting on the route, in its Events:
    one Event names each weight of the steps it moved traffic through, in turn."""
    return [
        int(weight)
        for reason, message in said(events)
        if reason == "WeightsSet"
        for weight in re.findall(r"candidate (\d+)%", message)
    ]


def _gate(gates: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
    return next((g for g in gates or [] if g.get("name") == name), None)


class Then:
    """Expectations on the rollout's status and Events."""

    def __init__(self, view: RolloutView, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.view = view
        self.timeout = timeout

    def status(self) -> dict[str, Any]:
        return self.view.status()

    def expect_that(
        self,
        what: str,
        probe: Callable[[], T],
        holds: Callable[[T], bool],
        timeout: float | None = None,
    ) -> Self:
        expect_within(self.view, what, probe, holds, timeout or self.timeout)
        return self

    def expect(
        self, what: str, holds: Callable[[dict[str, Any]], bool], timeout: float | None = None
    ) -> Self:
        """Wait until `holds(status)`."""
        return self.expect_that(what, self.view.status, holds, timeout)

    def expect_phase(self, phase: str, timeout: float | None = None) -> Self:
        return self.expect(f"phase {phase}", lambda s: s.get("phase") == phase, timeout)

    def expect_terminal(self, timeout: float | None = None) -> Self:
        return self.expect("a terminal phase", lambda s: s.get("phase") in TERMINAL_PHASES, timeout)

    def expect_step(self, step: int, timeout: float | None = None) -> Self:
        return self.expect(f"step {step}", lambda s: s.get("currentStep") == step, timeout)

    def expect_status(self, timeout: float | None = None, **fields: Any) -> Self:
        """Wait until each named status field equals its value (None: the field is absent)."""
        wanted = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return self.expect(
            f"status {wanted}",
            lambda s: all(s.get(k) == v for k, v in fields.items()),
            timeout,
        )

    def expect_evaluation(self, state: str, timeout: float | None = None) -> Self:
        return self.expect(
            f"last evaluation {state}",
            lambda s: (s.get("lastEvaluation") or {}).get("state") == state,
            timeout,
        )

    def expect_rollback_reason(self, *fragments: str, timeout: float | None = None) -> Self:
        return self.expect(
            f"a rollback reason naming {fragments}",
            lambda s: all(f in (s.get("rollbackReason") or "") for f in fragments),
            timeout,
        )

    def expect_conditions(
        self, conditions: Mapping[str, str], timeout: float | None = None
    ) -> Self:
        """Wait until the conditions are exactly these types with these statuses."""
        return self.expect(
            f"conditions {dict(conditions)}",
            lambda s: (
                {c["type"]: c["status"] for c in s.get("conditions") or []} == dict(conditions)
            ),
            timeout,
        )

    def expect_condition(self, kind: str, status: str, timeout: float | None = None) -> Self:
        return self.expect(
            f"condition {kind}={status}",
            lambda s: any(
                c["type"] == kind and c["status"] == status for c in s.get("conditions") or []
            ),
            timeout,
        )

    def expect_evaluation_gate(self, name: str, verdict: str, timeout: float | None = None) -> Self:
        """The last evaluation has gate `name` with this verdict."""
        return self.expect(
            f"evaluation gate {name!r} {verdict}",
            lambda s: (
                (_gate((s.get("lastEvaluation") or {}).get("gates"), name) or {}).get("verdict")
                == verdict
            ),
            timeout,
        )

    def expect_evaluation_gate_in_rollback_reason(
        self, name: str, timeout: float | None = None
    ) -> Self:
        """The rollback reason quotes the reason the evaluation gate `name` gave."""

        def quoted(s: dict[str, Any]) -> bool:
            gate = _gate((s.get("lastEvaluation") or {}).get("gates"), name)
            return gate is not None and gate["reason"] in (s.get("rollbackReason") or "")

        return self.expect(f"gate {name!r}'s reason in the rollback reason", quoted, timeout)

    def expect_metric_gate(self, name: str, timeout: float | None = None, **fields: Any) -> Self:
        """The metric gate `name` in status has these fields (verdict, consecutiveBreaches)."""
        return self.expect(
            f"metric gate {name!r} with {fields}",
            lambda s: all(
                (_gate(s.get("gates"), name) or {}).get(k) == v for k, v in fields.items()
            ),
            timeout,
        )

    def expect_all_metric_gates(self, verdict: str, timeout: float | None = None) -> Self:
        return self.expect(
            f"every metric gate {verdict}",
            lambda s: all(g["verdict"] == verdict for g in s.get("gates") or []),
            timeout,
        )

    def expect_events(self, *reasons: str, timeout: float | None = None) -> Self:
        return self.expect_that(
            f"Events {', '.join(reasons)}",
            lambda: {reason for reason, _ in said(self.view.events())},
            lambda seen: set(reasons) <= seen,
            timeout,
        )

    def expect_event(self, reason: str, *fragments: str, timeout: float | None = None) -> Self:
        """Some Event with `reason` has a message naming each of `fragments`."""
        return self.expect_that(
            f"an Event {reason} naming {fragments}",
            lambda: [m for r, m in said(self.view.events()) if r == reason],
            lambda messages: any(all(f in m for f in fragments) for m in messages),
            timeout,
        )

    def expect_candidate_weight_at_most(self, weight: int, timeout: float | None = None) -> Self:
        """No WeightsSet Event ever gave the candidate more than `weight` %."""
        return self.expect_that(
            f"the candidate never above {weight} %",
            lambda: candidate_weights_set(self.view.events()),
            lambda weights: max([0, *weights]) <= weight,
            timeout,
        )
