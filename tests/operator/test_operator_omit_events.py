"""An operator started with --omit-event posts no Normal Event of those reasons and every
other Event as before; status still tells each step. The real operator, kopf and all,
against the local API server."""

from __future__ import annotations

import pytest

from pixelproof.controller.main import main, parser
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import ROLLOUTS, Kube, said
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"pause": {"duration": "1s"}}, {"setWeight": 100}]
OMITTED = ("CandidateReady", "StepStarted", "WeightsSet")


def test_omitted_reasons_are_not_posted_and_the_rest_are(cluster: LocalCluster, kube: Kube) -> None:
    seed_namespace(kube)
    events_posted: list[str] = []

    def observe(method: str, path: str, params: object) -> None:
        if method == "POST" and path.endswith("/events"):
            events_posted.append(path)

    with operator_in_thread(cluster, interval=0.5, omit_events=OMITTED, request_observer=observe):
        kube.create(ROLLOUTS, rollout(steps=STEPS))
        wait_for(lambda: kube.status("poster-gen").get("phase") == "Succeeded", 30, "success")
        events = kube.wait_for_events("poster-gen", "RolloutStarted", "Succeeded")
        status = kube.status("poster-gen")
    reasons = [reason for reason, _ in said(events)]
    assert not set(reasons) & set(OMITTED), reasons
    assert len(events_posted) == len(events), (events_posted, events)
    assert status["weights"] == {"stable": 0, "candidate": 100}
    assert status["currentStep"] == len(STEPS)


def test_omitting_a_warning_stops_the_operator_at_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--omit-event", "WeightsSet", "--omit-event", "GateFail"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--omit-event: 'GateFail' is not the reason of a Normal Event" in err
    assert "WeightsSet" in err.split("Normal reasons:")[1]


def test_the_environment_names_reasons_to_omit_besides_the_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIXELPROOF_OMIT_EVENTS", "WeightsSet, StepStarted")
    args = parser().parse_args(["--omit-event", "GatePass"])
    assert args.omit_events == ["WeightsSet", "StepStarted", "GatePass"]
