"""What every quality gate shares: the dry-run switch, and the rule of gates that take one
of several bounds, in Python and in the CRD's CEL."""

from __future__ import annotations

from pydantic import Field

from .base import ApiModel


class QualityGate(ApiModel):
    """What every quality gate has besides its own bounds."""

    dry_run: bool | None = Field(
        default=None,
        description="Judge and report the gate, but never let its verdict fail or hold an "
        "evaluation: a new gate's track record before it is enforced.",
    )


def bound_rules(*aliases: str) -> list[dict[str, str]]:
    """The CEL rule the CRD carries for a gate that needs one of several bounds."""
    return [
        {
            "rule": " || ".join(f"has(self.{alias})" for alias in aliases),
            "message": f"give {' or '.join(aliases)}",
        }
    ]


def one_bound(model: ApiModel, fields: tuple[str, ...]) -> None:
    if all(getattr(model, name) is None for name in fields):
        aliases = [model.model_fields[name].alias or name for name in fields]
        raise ValueError(bound_rules(*aliases)[0]["message"])
