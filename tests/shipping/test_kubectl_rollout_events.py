"""The rollout's Events as the operating guide tells a user to read them, with the real
kubectl against the local API emulator, after kopf and the operator ran the rollout: one
Event per reconcile, a step that moves traffic saying so in its WeightsSet part, and the
reasons of every part in an annotation a script reads with jsonpath."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import NS, ROLLOUTS, Kube
from pixelproof_testkit.kubectl import kubectl_env, run
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import local_cluster, operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 50}, {"pause": {"duration": "1s"}}]


@pytest.fixture(scope="module")
def finished() -> Iterator[LocalCluster]:
    """A cluster whose poster-gen rollout ran to its end."""
    with local_cluster() as cluster, contextlib.closing(Kube(cluster.url)) as kube:
        seed_namespace(kube)
        with operator_in_thread(cluster):
            kube.create(ROLLOUTS, rollout(steps=STEPS))
            wait_for(
                lambda: (kube.status("poster-gen") or {}).get("phase") == "Succeeded",
                60,
                "poster-gen to succeed",
            )
            wait_for(
                lambda: "Succeeded" in {e["reason"] for e in kube.events("poster-gen")},
                30,
                "the Succeeded Event to be posted",
            )
        yield cluster


def _kubectl(kubectl: Path, cluster: LocalCluster, tmp_path: Path, *argv: str) -> str:
    env = kubectl_env(cluster, tmp_path, tmp_path)
    done = run([str(kubectl), *argv], env)
    assert done.returncode == 0, done.stderr
    return done.stdout


WEIGHTS_50 = "step 3/4: setWeight 50: traffic: stable 50%, candidate 50%"


def _rollout_events(kubectl: Path, cluster: LocalCluster, tmp_path: Path, *more: str) -> str:
    """`kubectl get events` for the rollout, as the operating guide has it."""
    selector = "involvedObject.name=poster-gen"
    return _kubectl(
        kubectl, cluster, tmp_path, "-n", NS, "get", "events", "--field-selector", selector, *more
    )


def test_get_events_for_the_rollout_shows_one_event_per_reconcile(
    kubectl: Path, finished: LocalCluster, tmp_path: Path
) -> None:
    out = _rollout_events(kubectl, finished, tmp_path)
    header = out.splitlines()[0].split()
    # The real API server's columns for Events, which kubectl prints as they come.
    assert header == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "modelrollout/poster-gen" in out
    assert WEIGHTS_50 in out
    assert "step 2/4: evaluate: evaluator Job" in out
    assert "StepStarted" in out  # the pause, which does nothing of its own at its start
    assert "step 4/4: pause 1s" in out
    for reason in ("RolloutStarted", "CandidateReady", "EvaluationPass", "Succeeded"):
        assert reason in out


def test_the_reasons_annotation_names_every_part_for_scripts(
    kubectl: Path, finished: LocalCluster, tmp_path: Path
) -> None:
    reasons = "{.metadata.annotations.pixelproof\\.dev/reasons}"
    out = _rollout_events(
        kubectl, finished, tmp_path, "-o", f'jsonpath={{range .items[*]}}{reasons}{{"\\n"}}{{end}}'
    )
    lines = [line.split(",") for line in out.splitlines()]
    said = {reason for line in lines for reason in line}
    expected = {"RolloutStarted", "CandidateReady", "WeightsSet", "EvaluationStarted"}
    assert expected | {"EvaluationPass", "StepStarted", "Succeeded"} <= said, lines
    assert any(len(line) > 1 for line in lines), lines


def test_describe_lists_the_same_events(
    kubectl: Path, finished: LocalCluster, tmp_path: Path
) -> None:
    out = _kubectl(kubectl, finished, tmp_path, "-n", NS, "describe", "modelrollout", "poster-gen")
    events = out.split("Events:", 1)[1]
    assert "WeightsSet" in events
    assert WEIGHTS_50 in events
