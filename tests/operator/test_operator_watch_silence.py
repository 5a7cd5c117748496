"""A watch stream that stays open but stops delivering (the local API server's silence
fault): the operator's liveness fails while a write of its own goes unseen, its client
timeout ends the stream, and the rollout goes on from what the new stream delivers. Both
kopf's watch of rollouts and the operator's own of the kinds it reads."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

STEPS = [{"setWeight": 10}, {"pause": {"duration": "3s"}}, {"pause": {}}, {"setWeight": 100}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _rollout_under_watch(cluster: LocalCluster, kube: Kube) -> Iterator[Callable[[], int]]:
    """The operator with a liveness endpoint, quick to call a watch silent, and a rollout
    created: the liveness endpoint's HTTP status (0 when it does not answer) on each call."""
    seed_namespace(kube)
    healthz = f"http://127.0.0.1:{_free_port()}/healthz"

    def liveness() -> int:
        try:
            return httpx.get(healthz, timeout=5).status_code
        except httpx.HTTPError:
            return 0

    with operator_in_thread(
        cluster,
        liveness_endpoint=healthz,
        watch_server_timeout=60,
        watch_client_timeout=15,
        watch_silence_limit=2,
    ):
        kube.create(ROLLOUTS, rollout(steps=STEPS))
        yield liveness


def _promote(kube: Kube) -> None:
    kube.patch(
        f"{ROLLOUTS}/poster-gen", {"metadata": {"annotations": {"pixelproof.dev/promote": "p1"}}}
    )


def test_a_silent_rollout_watch_fails_liveness_and_is_replaced(
    cluster: LocalCluster, kube: Kube
) -> None:
    with _rollout_under_watch(cluster, kube) as liveness:
        wait_for(lambda: kube.status("poster-gen").get("currentStep") == 1, 30, "the timed pause")
        cluster.silence_watches(["modelrollouts"])
        # The timed pause ends unseen: the operator stores step 2, its watch never says so.
        wait_for(lambda: liveness() == 500, 30, "liveness to fail on the silent watch")
        assert kube.status("poster-gen").get("currentStep") == 2
        _promote(kube)
        # Only a new stream delivers the promotion: the client timeout opens one.
        wait_for(
            lambda: kube.status("poster-gen").get("phase") == "Succeeded",
            60,
            "the rollout to finish",
        )
        wait_for(lambda: liveness() == 200, 30, "liveness to recover")


def test_a_silent_route_watch_fails_liveness_until_a_new_stream_delivers_the_write(
    cluster: LocalCluster, kube: Kube
) -> None:
    with _rollout_under_watch(cluster, kube) as liveness:
        wait_for(lambda: kube.status("poster-gen").get("currentStep") == 2, 30, "the untimed pause")
        cluster.silence_watches(["httproutes"])
        _promote(kube)
        # The route's last weights are the operator's write, answered from memory while
        # the silent stream never delivers it: the rollout finishes all the same.
        wait_for(
            lambda: kube.status("poster-gen").get("phase") == "Succeeded",
            30,
            "the rollout to finish",
        )
        wait_for(lambda: liveness() == 500, 30, "liveness to fail on the silent watch")
        wait_for(lambda: liveness() == 200, 30, "a new stream to deliver the write")
