"""What the API's refusals mean, told apart by status code and request, and the one root
each program's errors share."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr

import pytest

from pixelproof.api.evaluator_invocation import InvocationError
from pixelproof.cli import LOCALSTACK_INSTALL, main
from pixelproof.errors import PixelproofError
from pixelproof.kube import (
    ApiError,
    ConflictError,
    CredentialsError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    api_error,
)
from pixelproof.kube.errors import JSON_PATCH
from pixelproof.kubectl_plugin.kube import PluginError
from pixelproof.metrics.templating import TemplateError
from pixelproof.notifications.notifier import NotificationError
from pixelproof.routers.base import RouterError
from pixelproof_evaluator.errors import EvaluatorError
from pixelproof_evaluator.golden import GoldenSetError
from pixelproof_evaluator.images import ImageDecodeError
from pixelproof_evaluator.perceptual import LpipsWeightsError

TEST_OP = [{"op": "test", "path": "/metadata/resourceVersion", "value": "7"}]


@pytest.mark.parametrize(
    ("code", "content_type", "body", "kind"),
    [
        (409, "application/merge-patch+json", {"status": {}}, ConflictError),
        (
            422,
            JSON_PATCH,
            [*TEST_OP, {"op": "replace", "path": "/spec", "value": {}}],
            ConflictError,
        ),
        (422, JSON_PATCH, [{"op": "replace", "path": "/spec", "value": {}}], InvalidError),
        (422, "application/merge-patch+json", {"spec": {}}, InvalidError),
        (404, "application/json", None, NotFoundError),
        (401, "application/json", None, ForbiddenError),
        (403, "application/json", None, ForbiddenError),
        (500, "application/json", None, ApiError),
    ],
)
def test_refusals_are_classed_by_code_and_request(
    code: int, content_type: str, body: object, kind: type[ApiError]
) -> None:
    # The message never decides: a conflict whose text lacks the word, and an invalid
    # object whose text has it.
    for message in ("the resource changed", "a test failed"):
        error = api_error(code, "Reason", message, content_type=content_type, body=body)
        assert type(error) is kind
        assert (error.code, error.reason, error.message) == (code, "Reason", message)
        assert str(error) == f"{code} Reason: {message}"


def test_each_program_has_one_error_root() -> None:
    for operator_side in (
        ApiError,
        CredentialsError,
        PluginError,
        RouterError,
        TemplateError,
        NotificationError,
        InvocationError,
    ):
        assert issubclass(operator_side, PixelproofError), operator_side
    for evaluator_side in (GoldenSetError, ImageDecodeError, LpipsWeightsError):
        assert issubclass(evaluator_side, EvaluatorError), evaluator_side
    # Callers that caught the builtin bases still do.
    assert issubclass(TemplateError, ValueError)
    assert issubclass(InvocationError, ValueError)
    assert issubclass(RouterError, RuntimeError)
    assert issubclass(CredentialsError, RuntimeError)


def test_a_missing_local_stack_is_one_line_naming_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pixelproof_demo", None)
    monkeypatch.setitem(sys.modules, "pixelproof_demo.cli", None)
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["demo"]) == 2
    assert err.getvalue().splitlines() == [
        f"pixelproof demo: 'pixelproof_demo' is not installed: {LOCALSTACK_INSTALL}"
    ]
