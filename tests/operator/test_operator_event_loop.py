"""The event loop the operator runs on: uvloop's by default, the standard library's when
asked for or when uvloop is missing, and a rollout run to its end on either."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
import uvloop

from pixelproof.controller.event_loop import loop_factory, loop_name, run_on
from pixelproof.controller.main import OperatorConfig, parser
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import OperatorProcess
from pixelproof_testkit.polling import wait_for


async def _running_loop() -> str:
    return loop_name(asyncio.get_running_loop())


def test_the_operator_runs_on_uvloop_unless_told_otherwise() -> None:
    assert parser().parse_args([]).event_loop == "uvloop"
    assert loop_factory("uvloop") is uvloop.new_event_loop
    assert run_on("uvloop", _running_loop()) == "uvloop"
    assert parser().parse_args(["--event-loop", "asyncio"]).event_loop == "asyncio"
    assert loop_factory("asyncio") is None
    assert run_on("asyncio", _running_loop()) == "asyncio"


def test_the_event_loop_can_be_chosen_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIXELPROOF_EVENT_LOOP", "asyncio")
    assert parser().parse_args([]).event_loop == "asyncio"
    monkeypatch.setenv("PIXELPROOF_EVENT_LOOP", "trio")
    # argparse does not check a default against the choices: the policy check does.
    config = OperatorConfig(event_loop=parser().parse_args([]).event_loop)
    with pytest.raises(ValueError, match="--event-loop 'trio': must be one of uvloop, asyncio"):
        config.policy()


def test_without_uvloop_the_operator_says_so_and_runs_on_asyncio(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A None in sys.modules makes `import uvloop` raise ImportError, as on a machine without it.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    with caplog.at_level(logging.WARNING, logger="pixelproof.controller.event_loop"):
        assert loop_factory("uvloop") is None
        assert run_on("uvloop", _running_loop()) == "asyncio"
    assert "uvloop is not installed" in caplog.text


@pytest.mark.parametrize("event_loop", ["uvloop", "asyncio"])
def test_a_rollout_runs_to_its_end_on_either_loop(
    cluster: LocalCluster, kube: Kube, event_loop: str
) -> None:
    seed_namespace(kube)
    operator = OperatorProcess(cluster, "--event-loop", event_loop).start()
    try:
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 50}, {"setWeight": 100}]))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Succeeded", 60, "success")
    finally:
        operator.stop()
    assert f"event loop: {event_loop}".encode() in operator.log, operator.log[-2000:]
