"""Showing rollouts as they progress: a live table on a terminal, a line per change otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .view import RolloutView, line, state_key

_PHASE_STYLE = {
    "Succeeded": "bold green",
    "RolledBack": "bold red",
    "Failed": "bold red",
    "Paused": "yellow",
    "Progressing": "cyan",
}
_VERDICT_STYLE = {"Pass": "green", "Fail": "red"}


def _table(views: Sequence[RolloutView]) -> Table:
    table = Table(title="ModelRollouts", expand=True, show_lines=True)
    for column in (
        "rollout",
        "phase",
        "step",
        "weights s/c (verified)",
        "mirror",
        "metric gates",
        "evaluation",
        "message",
    ):
        table.add_column(column, overflow="fold")
    for view in views:
        gates = Text()
        for gate in view.gates:
            gates.append(f"{gate.name} {gate.value} ", style="bold")
            gates.append(f"{gate.verdict}\n", style=_VERDICT_STYLE.get(gate.verdict, "dim"))
        evaluation = Text(view.evaluation + "\n")
        for gate in view.evaluation_gates:
            if gate.verdict != "Pass":
                evaluation.append(
                    f"{gate.name} {gate.value} ({gate.threshold}) {gate.verdict}\n",
                    style=_VERDICT_STYLE.get(gate.verdict, "dim"),
                )
        table.add_row(
            view.name,
            Text(view.phase, style=_PHASE_STYLE.get(view.phase, "")),
            view.step,
            f"{view.weights} ({view.verified})",
            view.mirror,
            gates,
            evaluation,
            view.message,
        )
    return table


class RolloutDisplay:
    """A context manager; ``update(views)`` redraws (TTY) or prints what changed (otherwise)."""

    def __init__(self, stream: TextIO) -> None:
        self.console = Console(file=stream)
        self.live = self.console.is_terminal
        self._live: Live | None = None
        self._last: dict[str, tuple[object, ...]] = {}

    def __enter__(self) -> Self:
        if self.live:
            self._live = Live(Group(), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def update(self, views: Sequence[RolloutView]) -> None:
        if self._live is not None:
            self._live.update(_table(views))
            return
        for view in views:
            key = state_key(view)
            if self._last.get(view.name) != key:
                self._last[view.name] = key
                self.console.print(line(view), markup=False, highlight=False, soft_wrap=True)
