"""Expectations on a rollout of the local stack (the end-to-end world: the operator, a real
Prometheus, generator processes and the real evaluator)."""

from __future__ import annotations

from typing import Any

from pixelproof_demo.stack import LocalStack, RolloutHandle

from .expectations import DEFAULT_TIMEOUT, Then, status_text


class StackRollout:
    def __init__(self, stack: LocalStack, handle: RolloutHandle) -> None:
        self.stack, self.handle = stack, handle

    def status(self) -> dict[str, Any]:
        # A stopped operator moves nothing on: waiting longer cannot help.
        if self.stack.operator is not None and not self.stack.operator.alive:
            raise RuntimeError("the operator thread has stopped")
        return self.stack.status(self.handle)

    def events(self) -> list[dict[str, Any]]:
        return self.stack.events(self.handle)

    def describe(self) -> str:
        title = f"ModelRollout {self.handle.namespace}/{self.handle.name}"
        return status_text(title, self.stack.status(self.handle))


def then(stack: LocalStack, handle: RolloutHandle, timeout: float = DEFAULT_TIMEOUT) -> Then:
    """Expectations on the stack's rollout `handle`."""
    return Then(StackRollout(stack, handle), timeout)
