"""kopf, ended by an API outage, is started again in the same process; told to stop, it
stays stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

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


def _until_kopf_returns(
    kopf: Callable[[asyncio.Event], Awaitable[None]], on_stuck: Callable[[], None] = lambda: None
) -> None:
    """`kopf` (a coroutine function given the event kopf sets as it begins to stop) run as
    the operator runs kopf. A kopf that will not stop cannot be made to here; these stand
    in for it, as kopf's own shutdown hung on its watch cancel callback in a loaded run."""

    async def main() -> None:
        stopping = asyncio.Event()
        run = asyncio.ensure_future(kopf(stopping))
        await supervision.until_kopf_returns(run, stopping, on_stuck)

    asyncio.run(main())


def _begins_to_stop_and_hangs(
    cancelled: list[bool],
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """A kopf that begins to stop and then waits for good, noting in `cancelled` a cancel."""

    async def hangs(stopping: asyncio.Event) -> None:
        stopping.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    return hangs


@pytest.fixture
def short_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervision, "STOPPING_SECONDS", 0.2)
    monkeypatch.setattr(supervision, "CANCEL_SECONDS", 0.2)


@pytest.mark.usefixtures("short_deadlines")
def test_a_kopf_that_stops_or_fails_is_waited_for() -> None:
    async def stops(stopping: asyncio.Event) -> None:
        stopping.set()
        await asyncio.sleep(0.05)

    async def fails(stopping: asyncio.Event) -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("Multidimensional multitasker has failed")

    _until_kopf_returns(stops)
    with pytest.raises(RuntimeError, match="multitasker"):
        _until_kopf_returns(fails)


@pytest.mark.usefixtures("short_deadlines")
def test_a_kopf_that_began_to_stop_and_did_not_is_cancelled() -> None:
    cancelled: list[bool] = []
    with pytest.raises(supervision.KopfStuck, match="was cancelled"):
        _until_kopf_returns(_begins_to_stop_and_hangs(cancelled))
    assert cancelled == [True]


@pytest.mark.usefixtures("short_deadlines")
def test_a_kopf_that_ignores_its_cancel_too_is_left_and_the_process_told() -> None:
    told: list[bool] = []
    release = asyncio.Event()

    async def deaf(stopping: asyncio.Event) -> None:
        stopping.set()
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.05)

    def on_stuck() -> None:
        told.append(True)
        # Only so that the test's own event loop can end.
        release.set()

    with pytest.raises(supervision.KopfStuck, match="did not stop within"):
        _until_kopf_returns(deaf, on_stuck)
    assert told == [True]


def test_a_running_kopf_is_not_hurried() -> None:
    async def runs(stopping: asyncio.Event) -> None:
        await asyncio.sleep(0.5)

    # No deadline applies before kopf begins to stop: 0.5 s against a 30 s deadline would
    # say nothing, so the deadline is shorter than the run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(supervision, "STOPPING_SECONDS", 0.05)
        _until_kopf_returns(runs)


def test_a_cancelled_wait_takes_kopf_with_it_while_kopf_is_stopping() -> None:
    cancelled: list[bool] = []

    async def main() -> None:
        stopping = asyncio.Event()
        run = asyncio.create_task(_begins_to_stop_and_hangs(cancelled)(stopping))
        waiting = asyncio.create_task(supervision.until_kopf_returns(run, stopping, lambda: None))
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.wait({run}, timeout=1)
        assert run.cancelled()

    asyncio.run(main())
    assert cancelled == [True]
