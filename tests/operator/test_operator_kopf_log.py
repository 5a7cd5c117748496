"""The operator's log carries no line for each watch event or tick that went well, and
keeps kopf's other lines: the real operator, kopf and all, against the local API server,
its log taken as pytest's handler on the root logger receives it."""

from __future__ import annotations

import logging

import pytest

from pixelproof.controller.kopf_log import KOPF_OBJECTS, QuietSuccesses
from pixelproof.controller.reconcile import Reconciler
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for


def test_watch_events_and_ticks_log_nothing_when_they_go_well(
    cluster: LocalCluster, kube: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    seed_namespace(kube)
    reconcilers: list[Reconciler] = []
    caplog.set_level(logging.INFO)
    with operator_in_thread(cluster, interval=0.3, on_ready=reconcilers.append):
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 10}, {"pause": {}}]))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Paused", 30, "the pause")
        quiet = reconcilers[0].quiet
        wait_for(lambda: quiet.skipped >= 3, 30, "ticks")
    kopf_lines = [r.getMessage() for r in caplog.records if r.name == KOPF_OBJECTS]
    assert "Handler 'reconcile' succeeded." in kopf_lines
    assert not [line for line in kopf_lines if line.startswith("Handler 'pixelproof_")]
    assert "Timer 'tick' succeeded." not in kopf_lines
    assert not [line for line in kopf_lines if "gateset-changed" in line]


def test_the_left_out_lines_come_back_at_debug() -> None:
    quiet = QuietSuccesses(["pixelproof_modelrollouts"], ["tick"])
    logger = logging.getLogger(KOPF_OBJECTS)

    def kept(level: int, message: str) -> bool:
        return quiet.filter(logging.LogRecord(KOPF_OBJECTS, level, __file__, 1, message, (), None))

    before = logger.level
    try:
        logger.setLevel(logging.INFO)
        assert not kept(logging.INFO, "Handler 'pixelproof_modelrollouts' succeeded.")
        assert not kept(logging.INFO, "Timer 'tick' succeeded.")
        assert kept(logging.INFO, "Handler 'reconcile' succeeded.")
        assert kept(logging.ERROR, "Handler 'pixelproof_modelrollouts' failed with an exception")
        logger.setLevel(logging.DEBUG)
        assert kept(logging.INFO, "Timer 'tick' succeeded.")
    finally:
        logger.setLevel(before)
