"""kopf, ended by an API outage, is started again in the same process; told to stop, it
stays stopped."""

from __future__ import annotations

import asyncio

import pytest

from pixelproof.controller import supervise as supervision
from pixelproof.controller.main import Operator, OperatorConfig
from pixelproof.kube import Connection


def test_kopf_is_started_again_after_each_failure_until_it_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(supervision, "RESTART_DELAYS", (0.01, 0.02))
    runs: list[int] = []

    async def run() -> None:
        runs.append(len(runs))
        if len(runs) < 4:
            raise RuntimeError("Event processing has failed with an unrecoverable error")

    restarts = asyncio.run(supervision.supervise(run, lambda: False))
    assert (restarts, len(runs)) == (3, 4)


def test_a_failure_once_stopping_ends_the_supervision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervision, "RESTART_DELAYS", (5.0,))
    stop = asyncio.Event()
    runs: list[int] = []

    async def run() -> None:
        runs.append(1)
        asyncio.get_running_loop().call_later(0.05, stop.set)
        raise RuntimeError("watch failed")

    async def main() -> int:
        return await asyncio.wait_for(supervision.supervise(run, stop.is_set), 2.0)

    assert asyncio.run(main()) == 0
    assert runs == [1]


def test_kopf_retries_api_errors_for_minutes_and_arms_no_sigkill() -> None:
    operator = Operator(OperatorConfig(), connection=Connection(server="http://127.0.0.1:1"))
    settings = operator.settings()
    assert sum(settings.networking.error_backoffs) >= 100
    assert settings.process.ultimate_exiting_timeout is None
