"""An error a model validator raises to name the field at fault below the model."""

from __future__ import annotations


class FieldError(ValueError):
    """A ValueError whose message belongs to `path` (field names and list indexes,
    relative to the model that raised it), so messages name the field, not the model."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class FieldErrors(ValueError):
    """Every FieldError one model found, so that each is reported, not just the first."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def raise_all(errors: list[FieldError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
