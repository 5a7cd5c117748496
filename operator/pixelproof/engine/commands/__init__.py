"""Commands, each acted on once per token, by the handler the table names for it."""

from __future__ import annotations

from collections.abc import Callable

from pixelproof.api.commands import COMMANDS, Command, command_applies

from ..context import Context
from .abort import abort
from .promote import promote
from .promote_full import promote_full
from .retry import retry

Handler = Callable[[Context], None]

HANDLERS: dict[Command, Handler] = {
    "abort": abort,
    "retry": retry,
    "promote-full": promote_full,
    "promote": promote,
}


def apply_commands(ctx: Context) -> None:
    """Each new token in COMMANDS order: an earlier command changes what a later one meets."""
    for command in COMMANDS:
        token = ctx.obs.commands.get(command)
        if token is None or ctx.status.acknowledged_commands.get(command) == token:
            continue
        ctx.status.acknowledged_commands[command] = token
        verdict = command_applies(
            ctx.status.phase, ctx.step_kind(), command, ctx.current_evaluation_state()
        )
        if verdict.applies:
            HANDLERS[command](ctx)
        else:
            ctx.event("Normal", "CommandIgnored", verdict.reason)
