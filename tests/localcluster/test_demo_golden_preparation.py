"""The demo prepares its golden set while the rollouts take their first steps: an evaluator
Job that mounts it waits until it is ready, and fails with the cause when it never is."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from pixelproof.evaluation.job import GOLDEN_MOUNT
from pixelproof_demo.evaluator_runner import EvaluatorJobRunner
from pixelproof_demo.golden_preparation import GoldenPreparation, GoldenSetNotReady
from pixelproof_localcluster import Terminated


def test_waiting_returns_once_the_golden_set_is_ready() -> None:
    gate = threading.Event()

    def capture() -> None:
        assert gate.wait(30), "the test never opened the gate"

    preparation = GoldenPreparation(capture).start()
    with pytest.raises(GoldenSetNotReady, match=r"not ready after 0\.05s"):
        preparation.wait(0.05)
    gate.set()
    preparation.wait(30)


def test_a_failed_preparation_is_raised_to_whoever_waits_with_its_cause() -> None:
    def capture() -> None:
        raise RuntimeError("capturing the golden set from the stable generator failed: p1: 500")

    preparation = GoldenPreparation(capture).start()
    with pytest.raises(GoldenSetNotReady, match="p1: 500"):
        preparation.wait(30)


def _pod() -> dict[str, Any]:
    return {
        "metadata": {"name": "poster-gen-a1-x", "namespace": "imagegen", "labels": {}},
        "spec": {
            "containers": [
                {
                    "image": "evaluator",
                    "volumeMounts": [{"name": "golden", "mountPath": GOLDEN_MOUNT}],
                }
            ],
            "volumes": [{"name": "golden", "persistentVolumeClaim": {"claimName": "golden"}}],
        },
    }


def test_an_evaluator_job_whose_golden_set_never_became_ready_fails_saying_why(
    tmp_path: Path,
) -> None:
    def claims(namespace: str, claim: str) -> Path | None:
        raise GoldenSetNotReady("calibrating the golden set against the stable generator failed")

    runner = EvaluatorJobRunner(lambda namespace, service: None, claims, tmp_path)
    outcome = asyncio.run(runner(_pod(), lambda: None))
    assert isinstance(outcome, Terminated)
    assert outcome.exit_code == 1
    assert outcome.message == (
        "the golden set could not be mounted: "
        "calibrating the golden set against the stable generator failed"
    )
