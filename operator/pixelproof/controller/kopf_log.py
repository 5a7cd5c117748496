"""kopf's log, without a line for every watch event and every tick that went well.

kopf logs "Handler 'x' succeeded." at INFO each time it calls a handler. The operator's
watch handlers are called for every event of every Deployment, Service, route, Job and Pod
in the namespaces it watches, and its timer for every rollout every interval: a thousand
rollouts on a 5 s tick log two hundred lines a second that say nothing, and the process
spends its time formatting and writing them. Those successes are left out; everything else
kopf logs is kept: a change handler's success, every warning and failure, and, with the
log at DEBUG, these lines too."""

from __future__ import annotations

import logging
from collections.abc import Iterable

KOPF_OBJECTS = "kopf.objects"


class QuietSuccesses(logging.Filter):
    """Drops kopf's INFO line for a successful call of the handlers and timers it names."""

    def __init__(self, handlers: Iterable[str], timers: Iterable[str]) -> None:
        super().__init__()
        self.kopf = logging.getLogger(KOPF_OBJECTS)
        self.lines = frozenset(
            [f"Handler {name!r} succeeded." for name in handlers]
            + [f"Timer {name!r} succeeded." for name in timers]
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.msg not in self.lines:
            return True
        return self.kopf.isEnabledFor(logging.DEBUG)


def quiet_successes(handlers: Iterable[str], timers: Iterable[str]) -> None:
    """Leave out, from kopf's log, the successes of these handlers and timers (ids). The
    filter is the process's: an operator started again, or a second one, adds none."""
    logger = logging.getLogger(KOPF_OBJECTS)
    quiet = QuietSuccesses(handlers, timers)
    if not any(isinstance(f, QuietSuccesses) and f.lines == quiet.lines for f in logger.filters):
        logger.addFilter(quiet)
