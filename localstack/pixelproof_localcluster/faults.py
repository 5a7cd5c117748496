"""Injected API faults: for a while, a share of the requests of chosen verbs is answered
with an error (409, 429, 500, 503) instead of being served, and open watch streams of a
faulted ``watch`` verb are cut with an ERROR event, as an API server under load or
mid-upgrade does. A silence leaves the watch streams open at that moment open but
delivers them nothing more, past their timeoutSeconds too, as a stream stuck behind a
dead load balancer or a wedged API server does; streams opened later are served. Set
from Python (``LocalCluster.inject_faults``) or over HTTP
(``POST /_localcluster/faults``) by a harness that runs the server as its own process."""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pixelproof_localcluster import errors

VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete"})
READS = frozenset({"get", "list", "watch"})
WRITES = frozenset({"create", "update", "patch", "delete"})
CODES = frozenset({409, 429, 500, 503})
CONTROL_PATH = "/_localcluster/faults"

_REASONS = {
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def verb_of(method: str, *, named: bool, watch: bool) -> str:
    """The Kubernetes verb of a request, as RBAC names it."""
    if method == "GET":
        return "watch" if watch else "get" if named else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method.lower()
    )


@dataclasses.dataclass(frozen=True)
class FaultPlan:
    verbs: frozenset[str]
    codes: tuple[int, ...]
    share: float
    until: float
    resources: frozenset[str] | None = None
    """Plural names of the resources whose requests are faulted; None: every resource."""

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> FaultPlan:
        verbs = frozenset(doc.get("verbs") or VERBS)
        resources = doc.get("resources")
        codes = tuple(doc.get("codes") or (409, 429, 500, 503))
        share = float(doc.get("share", 0.5))
        seconds = float(doc.get("seconds", 30))
        if not verbs <= VERBS:
            raise errors.bad_request(f"verbs must be among {sorted(VERBS)}, got {sorted(verbs)}")
        if not set(codes) <= CODES:
            raise errors.bad_request(f"codes must be among {sorted(CODES)}, got {list(codes)}")
        if not 0 <= share <= 1 or seconds < 0:
            raise errors.bad_request("share must be within 0..1 and seconds not negative")
        if resources is not None and (
            not isinstance(resources, list) or not all(isinstance(r, str) for r in resources)
        ):
            raise errors.bad_request("resources must be a list of plural names")
        chosen = None if resources is None else frozenset(resources)
        return cls(verbs, codes, share, time.monotonic() + seconds, chosen)


class Faults:
    """The fault plan in force, and a count of the faults it injected."""

    def __init__(self, seed: int | None = None) -> None:
        self._plan: FaultPlan | None = None
        self._random = random.Random(seed)
        self.injected: Counter[tuple[str, int]] = Counter()
        self._silences: list[tuple[float, frozenset[str] | None]] = []

    def inject(
        self,
        verbs: Iterable[str] = VERBS,
        codes: Iterable[int] = (409, 429, 500, 503),
        share: float = 0.5,
        seconds: float = 30.0,
        resources: Iterable[str] | None = None,
    ) -> None:
        plan: dict[str, Any] = {
            "verbs": list(verbs),
            "codes": list(codes),
            "share": share,
            "seconds": seconds,
        }
        if resources is not None:
            plan["resources"] = list(resources)
        self.apply(plan)

    def apply(self, doc: Mapping[str, Any]) -> None:
        """Put in force the plan a JSON document describes (what the control path accepts):
        `{"silenceWatches": [plural, ...]}` (an empty list: every resource) silences."""
        if "silenceWatches" in doc:
            self.silence_watches(doc["silenceWatches"] or None)
            return
        self._plan = FaultPlan.from_json(doc)

    def silence_watches(self, resources: Iterable[str] | None = None) -> None:
        """Streams of `resources` (plural names; None: all) open now deliver no more events."""
        chosen = None if resources is None else frozenset(resources)
        self._silences.append((time.monotonic(), chosen))

    def silenced(self, resource: str, opened: float) -> bool:
        """Whether a stream of `resource` opened at `opened` (monotonic) is silenced."""
        return any(
            opened <= at and (chosen is None or resource in chosen) for at, chosen in self._silences
        )

    def clear(self) -> None:
        self._plan = None
        self._silences.clear()

    def active(self, verb: str, resource: str | None = None) -> FaultPlan | None:
        plan = self._plan
        if plan is None or time.monotonic() >= plan.until or verb not in plan.verbs:
            return None
        return plan if plan.resources is None or resource in plan.resources else None

    def pick(self, verb: str, resource: str | None = None) -> errors.StatusFailure | None:
        """The error to answer this request (of `resource`, a plural) with, if the plan
        fails it."""
        plan = self.active(verb, resource)
        if plan is None or self._random.random() >= plan.share:
            return None
        code = self._random.choice(plan.codes)
        self.injected[(verb, code)] += 1
        details: dict[str, Any] = {"retryAfterSeconds": 1} if code == 429 else {}
        return errors.StatusFailure(
            code, _REASONS[code], f"injected fault: {verb} answered {code}", details
        )

    def describe(self) -> dict[str, Any]:
        plan = self._plan
        remaining = 0.0 if plan is None else max(0.0, plan.until - time.monotonic())
        return {
            "active": remaining > 0,
            "verbs": sorted(plan.verbs) if plan else [],
            "resources": sorted(plan.resources) if plan and plan.resources is not None else None,
            "codes": list(plan.codes) if plan else [],
            "share": plan.share if plan else 0.0,
            "secondsLeft": round(remaining, 1),
            "injected": {f"{verb} {code}": n for (verb, code), n in sorted(self.injected.items())},
            "silences": len(self._silences),
        }
