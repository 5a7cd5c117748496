"""Change windows, campaign freezes and review steps, with the operator running for real
against the local API and a clock the test moves."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import CONFIGMAPS, HTTPROUTES, NS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import create_namespace, rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.weight_log import WeightLog

OPS = "change-board"
# Tuesday, 07:00 in Berlin.
MORNING = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
WINDOWS = {
    "timeZone": "Europe/Berlin",
    "windows": [{"days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "start": "09:00", "end": "17:00"}],
}


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A Slack-compatible receiver on 127.0.0.1 that keeps every body it is sent."""
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


def _status(kube: Kube) -> dict[str, Any]:
    return kube.status("poster-gen")


def _weights(kube: Kube) -> list[int]:
    return [
        r["weight"] for r in kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0]["backendRefs"]
    ]


def _freeze(name: str, namespace: str, start: str, end: str, reason: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"pixelproof.dev/freeze": "true"},
        },
        "data": {"start": start, "end": end, "reason": reason},
    }


def test_traffic_waits_for_the_window_and_moves_once_it_opens(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    log = WeightLog(cluster)
    clock = FakeClock(MORNING)
    with operator_in_thread(cluster, clock=clock):
        kube.create(
            ROLLOUTS,
            rollout(
                steps=[{"setWeight": 10}, {"setWeight": 50}],
                changeWindows=WINDOWS,
                progressDeadlineSeconds=10,
            ),
        )
        wait_for(lambda: "windowHold" in _status(kube), 30, "the window hold")
        status = _status(kube)
        assert status["waitingOn"].startswith(
            "waiting for the window until 2026-12-01T09:00+01:00 (Europe/Berlin)"
        )
        assert "waiting for the window until 2026-12-01T09:00+01:00" in status["message"]
        assert status["windowHold"]["opensAt"] == "2026-12-01T08:00:00.000000Z"
        assert "holdingSince" not in status
        kube.wait_for_events("poster-gen", "WaitingForWindow", timeout=30)
        assert _weights(kube) == [100, 0] and _status(kube)["phase"] == "Progressing"
        before_opening = list(log.candidate_weights)
        clock.advance(timedelta(hours=2))
        wait_for(
            lambda: _status(kube).get("phase") == "Succeeded", 30, "the rollout after the opening"
        )
    assert _weights(kube) == [0, 100]
    assert "windowHold" not in _status(kube)
    assert set(before_opening) <= {0}, "no forward weight before the window opened"
    assert [w for w in log.candidate_weights if w] == [10, 50, 100]


def test_campaign_freezes_of_the_cluster_and_the_namespace(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    create_namespace(kube, OPS)
    kube.create(
        f"/api/v1/namespaces/{OPS}/configmaps",
        _freeze(
            "black-friday", OPS, "2026-11-27T00:00:00Z", "2026-12-01T08:00:00Z", "Black Friday"
        ),
    )
    kube.create(
        CONFIGMAPS,
        _freeze(
            "release",
            NS,
            "2026-12-01T08:00:00Z",
            "2026-12-01T09:00:00Z",
            "model registry migration",
        ),
    )
    clock = FakeClock(MORNING)
    with operator_in_thread(cluster, clock=clock, freeze_namespace=OPS):
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 10}], progressDeadlineSeconds=10))
        wait_for(lambda: "windowHold" in _status(kube), 30, "the cluster freeze")
        assert _status(kube)["windowHold"] == {
            "reason": f"freeze {OPS}/black-friday: Black Friday",
            "opensAt": "2026-12-01T09:00:00.000000Z",
        }
        clock.advance(timedelta(hours=2, minutes=30))
        wait_for(
            lambda: (
                _status(kube).get("windowHold", {}).get("reason")
                == f"freeze {NS}/release: model registry migration"
            ),
            30,
            "the namespace freeze",
        )
        assert _weights(kube) == [100, 0]
        kube.delete(f"{CONFIGMAPS}/release")
        wait_for(lambda: _status(kube).get("phase") == "Succeeded", 30, "the rollout once unfrozen")
    assert _weights(kube) == [0, 100]


def test_a_review_records_who_promoted_and_its_deadline_aborts(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    clock = FakeClock(MORNING)
    steps = [
        {"setWeight": 10},
        {"review": {"deadline": "1h"}},
        {"setWeight": 50},
        {"review": {"deadline": "1h"}},
    ]
    with webhook_receiver() as (url, bodies), operator_in_thread(cluster, clock=clock):
        webhook = {"webhook": {"url": url, "events": ["Succeeded"]}}
        kube.create(ROLLOUTS, rollout(steps=steps, notifications=webhook))
        wait_for(lambda: _status(kube).get("phase") == "Paused", 30, "the first review")
        wait_for(lambda: bodies, 30, "the review request at the webhook")
        request = bodies[0]["pixelproof"]
        assert request["phase"] == "Review" and request["currentStep"] == 1
        assert request["commands"]["promote"] == f"kubectl pixelproof promote poster-gen -n {NS}"
        assert request["deadlineAt"] == "2026-12-01T07:00:00.000000Z"
        assert _status(kube)["waitingOn"] == (
            f"review: kubectl pixelproof promote poster-gen -n {NS} or kubectl pixelproof abort "
            f"poster-gen -n {NS}, deadline 2026-12-01T07:00:00.000000Z"
        )
        kube.patch(
            f"{ROLLOUTS}/poster-gen",
            {
                "metadata": {
                    "annotations": {
                        "pixelproof.dev/promote-by": "alice@example.com",
                        "pixelproof.dev/promote": "p1",
                    }
                }
            },
        )
        wait_for(lambda: _status(kube).get("currentStep") == 3, 30, "the second review")
        first = _status(kube)
        kube.wait_for_events("poster-gen", "ReviewRequested", "ReviewPromoted", timeout=30)
        promoted = [m for reason, m in kube.said("poster-gen") if reason == "ReviewPromoted"]
        assert promoted == [
            f"review at step 2 promoted by alice@example.com at {MORNING:%Y-%m-%dT%H:%M:%S}.000000Z"
        ]
        assert first["review"]["step"] == 3 and "decision" not in first["review"]
        clock.advance(timedelta(hours=1))
        wait_for(lambda: _status(kube).get("phase") == "RolledBack", 30, "the deadline")
        status = _status(kube)
        assert (
            status["review"]["decision"] == "aborted"
            and status["review"]["decidedBy"] == "deadline"
        )
        assert status["rollbackCause"] == "Aborted"
    assert _weights(kube) == [100, 0]
