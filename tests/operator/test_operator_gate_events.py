"""Metric gate Events mark changes of verdict, not samples: over a run that samples a gate
many times, the rollout gets one Event per change, with kopf running for real."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pixelproof import telemetry
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import NS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for


class ScriptedPrometheus:
    """Answers every instant query with the value the test set, and counts the queries."""

    def __init__(self) -> None:
        self.value = 0.001
        self.queries = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with owner.lock:
                    owner.queries += 1
                    value = owner.value
                body = {
                    "status": "success",
                    "data": {
                        "resultType": "vector",
                        "result": [{"metric": {}, "value": [0, str(value)]}],
                    },
                }
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def set(self, value: float) -> None:
        with self.lock:
            self.value = value

    def count(self) -> int:
        with self.lock:
            return self.queries


@pytest.fixture
def prometheus() -> Iterator[ScriptedPrometheus]:
    fake = ScriptedPrometheus()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _gate_events(kube: Kube) -> list[str]:
    return [e["reason"] for e in kube.events("poster-gen") if e["reason"].startswith("Gate")]


def _verdict(kube: Kube) -> str | None:
    gates = kube.status("poster-gen").get("gates") or []
    return gates[0].get("verdict") if gates else None


def _more_samples(prometheus: ScriptedPrometheus, count: int = 3) -> None:
    start = prometheus.count()
    wait_for(lambda: prometheus.count() >= start + count, 60, f"{count} more samples")


def test_gate_events_count_verdict_changes_not_samples(
    cluster: LocalCluster, kube: Kube, prometheus: ScriptedPrometheus
) -> None:
    seed_namespace(kube, "gatewayAPI")
    metrics = {
        "prometheus": {"address": prometheus.address},
        "interval": "1s",
        "gates": [{"name": "error-rate", "query": "errors", "max": 0.02, "failureLimit": 100}],
    }
    steps = [{"setWeight": 10}, {"pause": {}}]
    with operator_in_thread(cluster, interval=0.3):
        kube.create(ROLLOUTS, rollout(steps=steps, metrics=metrics))
        wait_for(lambda: _verdict(kube) == "Pass", 60, "the gate to pass")
        for value, verdict in ((0.5, "Fail"), (0.001, "Pass")):
            _more_samples(prometheus)
            prometheus.set(value)
            wait_for(lambda v=verdict: _verdict(kube) == v, 60, f"the gate to {verdict}")
        _more_samples(prometheus)
        wait_for(lambda: len(_gate_events(kube)) >= 3, 30, "the gate Events")
    # Three verdicts (Pass, Fail, Pass again) over many more samples: three Events.
    assert prometheus.count() >= 9
    assert sorted(_gate_events(kube)) == ["GateFail", "GatePass", "GatePass"]
    reasons = [e["reason"] for e in kube.events("poster-gen")]
    assert "GateJudged" not in reasons


def test_a_breaching_dry_run_gate_is_recorded_and_exported_but_the_rollout_succeeds(
    cluster: LocalCluster, kube: Kube, prometheus: ScriptedPrometheus
) -> None:
    seed_namespace(kube, "gatewayAPI")
    prometheus.set(0.5)
    gate = {"name": "trial", "query": "errors", "max": 0.02, "critical": True, "dryRun": True}
    metrics = {"prometheus": {"address": prometheus.address}, "interval": "1s", "gates": [gate]}
    steps = [{"setWeight": 10}, {"pause": {"duration": "2s"}}, {"setWeight": 50}]
    with operator_in_thread(cluster, interval=0.3):
        kube.create(ROLLOUTS, rollout(steps=steps, metrics=metrics))
        wait_for(
            lambda: kube.status("poster-gen").get("phase") == "Succeeded",
            60,
            "the rollout to succeed over its failing dry-run gate",
        )
        judged = kube.status("poster-gen")["gates"][0]
        assert (judged["verdict"], judged["dryRun"], judged["value"]) == ("Fail", True, 0.5)
        assert "(dry run: would roll back)" in judged["message"]
        labels = {"namespace": NS, "name": "poster-gen", "gate": "trial"}
        assert telemetry.REGISTRY.get_sample_value("pixelproof_gate_dry_run", labels) == 1
        assert (
            telemetry.REGISTRY.get_sample_value(
                "pixelproof_gate_verdict", {**labels, "verdict": "Fail"}
            )
            == 1
        )
        events = kube.wait_for_events("poster-gen", "DryRunGateFail", "Succeeded")
    reasons = [e["reason"] for e in events]
    assert "GateFail" not in reasons and "GateFailed" not in reasons
    message = next(e["message"] for e in events if e["reason"] == "DryRunGateFail")
    assert message.startswith("dry-run gate trial: ")
