"""The rule of gates that take one of several bounds, in Python and in the CRD's CEL."""

from __future__ import annotations

from .base import ApiModel


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
