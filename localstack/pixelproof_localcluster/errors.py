"""Kubernetes API errors answered as ``Status`` bodies with the real status codes."""

from __future__ import annotations

from typing import Any

import kmock


class StatusFailure(kmock.KubernetesError):
    """A refusal the emulator answers as a Kubernetes ``Status`` object (what a client sees as an API error)."""

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"

    def to_status(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Status",
            "metadata": {},
            "status": "Failure",
            "code": self.status,
            "reason": self.reason,
            "message": self.message,
            "details": self.details or {},
        }


def _details(kind: str | None, group: str | None, name: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if kind:
        details["kind"] = kind
    return details


def not_found(plural: str, group: str, name: str | None) -> StatusFailure:
    what = f"{plural}.{group}" if group else plural
    message = f'{what} "{name}" not found' if name else f"the server could not find {what}"
    return StatusFailure(404, "NotFound", message, _details(plural, group, name))


def already_exists(plural: str, group: str, name: str) -> StatusFailure:
    what = f"{plural}.{group}" if group else plural
    return StatusFailure(
        409, "AlreadyExists", f'{what} "{name}" already exists', _details(plural, group, name)
    )


def conflict(plural: str, group: str, name: str, message: str) -> StatusFailure:
    what = f"{plural}.{group}" if group else plural
    return StatusFailure(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {what} "{name}": {message}',
        _details(plural, group, name),
    )


def invalid(kind: str, group: str, name: str, errors: list[str]) -> StatusFailure:
    causes = [{"reason": "FieldValueInvalid", "message": error} for error in errors]
    details = _details(kind, group, name) | {"causes": causes}
    message = f'{kind}.{group} "{name}" is invalid: ' if group else f'{kind} "{name}" is invalid: '
    return StatusFailure(422, "Invalid", message + "; ".join(errors), details)


def unprocessable(message: str) -> StatusFailure:
    return StatusFailure(422, "Invalid", message, {})


def bad_request(message: str) -> StatusFailure:
    return StatusFailure(400, "BadRequest", message, {})


def method_not_allowed(message: str) -> StatusFailure:
    return StatusFailure(405, "MethodNotAllowed", message, {})


def gone(message: str) -> StatusFailure:
    return StatusFailure(410, "Expired", message, {})


def unsupported_media_type(content_type: str) -> StatusFailure:
    return StatusFailure(
        415,
        "UnsupportedMediaType",
        f"the local API server reads JSON only, not {content_type}: send the body as "
        "application/json (or application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json, application/apply-patch+yaml for patches)",
        {},
    )


def not_acceptable(message: str) -> StatusFailure:
    return StatusFailure(406, "NotAcceptable", message, {})
