"""What the API server answered when it refused a request, one class per meaning."""

from __future__ import annotations

from typing import Any

from pixelproof.errors import PixelproofError

JSON_PATCH = "application/json-patch+json"


class ApiError(PixelproofError):
    """A request the API server refused, with its status code and Kubernetes reason."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message


class TransportError(PixelproofError, ConnectionError):
    """No answer came: the API server could not be reached, dropped the connection, or
    took longer than the client waits. Retried like any dropped connection."""


class ConflictError(ApiError):
    """Someone else wrote first: a stale resourceVersion (409), or a JSON patch whose `test`
    operation no longer holds (422 to a JSON patch, which the server answers as Invalid)."""


class NotFoundError(ApiError):
    """The object, or the kind of object, does not exist."""


class InvalidError(ApiError):
    """The server rejected the object itself: schema, validation rules, admission."""


class ForbiddenError(ApiError):
    """The credentials may not do this (401 or 403)."""


_BY_CODE: dict[int, type[ApiError]] = {
    401: ForbiddenError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidError,
}


def _carries_test(body: Any) -> bool:
    return isinstance(body, list) and any(
        isinstance(op, dict) and op.get("op") == "test" for op in body
    )


def api_error(
    code: int,
    reason: str,
    message: str,
    *,
    content_type: str | None = None,
    body: Any = None,
) -> ApiError:
    """The error for a refused request; `content_type` and `body` are what was sent, so a
    JSON patch with `test` operations refused as 422 is told apart as a lost race."""
    if code == 422 and content_type == JSON_PATCH and _carries_test(body):
        return ConflictError(code, reason, message)
    return _BY_CODE.get(code, ApiError)(code, reason, message)
