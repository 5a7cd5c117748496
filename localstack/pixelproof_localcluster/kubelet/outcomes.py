"""What a job runner reports about a pod: how its (first) container ended or got stuck."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, Protocol


@dataclasses.dataclass(frozen=True)
class Terminated:
    """The container ran and exited."""

    exit_code: int
    reason: str = ""  # "Completed"/"Error"/"OOMKilled"; derived from exit_code when empty
    message: str = ""  # the termination message

    @property
    def effective_reason(self) -> str:
        if self.reason:
            return self.reason
        if self.exit_code == 0:
            return "Completed"
        # 137 is SIGKILL, which is what the kernel's OOM killer sends a container.
        return "OOMKilled" if self.exit_code == 137 else "Error"


@dataclasses.dataclass(frozen=True)
class Waiting:
    """The container never started, e.g. reason "ImagePullBackOff"; the pod stays Pending."""

    reason: str
    message: str = ""


@dataclasses.dataclass(frozen=True)
class Unschedulable:
    """No node fits the pod; it stays Pending with PodScheduled=False."""

    message: str = "0/1 nodes are available: 1 Insufficient resources."


PodOutcome = Terminated | Waiting | Unschedulable


class JobRunner(Protocol):
    """Runs a Job's pod. Calls ``started()`` once its container runs, then reports the outcome.

    Cancellation means the pod is being killed (deadline passed, Job or Pod deleted).
    """

    def __call__(
        self, pod: dict[str, Any], started: Callable[[], None]
    ) -> Awaitable[PodOutcome]: ...
