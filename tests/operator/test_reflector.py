"""A reflector against the local API server: what it lists and follows, a stream that goes
silent or is cut with errors, an expired version that lists again and drops what went
unseen, a kind the server does not serve, one it may not read, and a fault of its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp.web
import pytest

from pixelproof.kube import DEPLOYMENTS, JOBS, Connection, KubeApi, Resource, load_connection
from pixelproof.kube import reflector as reflector_module
from pixelproof.kube.cache import label_key, name_key
from pixelproof.kube.reflector import Reflector, Store, WatchState, WatchTimeouts
from pixelproof_localcluster import LocalCluster
from pixelproof_localcluster import store as local_store
from pixelproof_testkit.kube import DEPLOYMENTS as DEPLOYMENTS_PATH
from pixelproof_testkit.kube import NS, Kube
from pixelproof_testkit.manifests import create_namespace, deployment

QUICK = WatchTimeouts(server=60, client=2, connect=5)
STATES: list[WatchState] = []
LABEL = "team"


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.05)


def kept(body: Any) -> dict[str, Any]:
    return dict(body)


@pytest.fixture
def namespace(kube: Kube) -> str:
    create_namespace(kube)
    return NS


Scenario = Callable[[Reflector, Store], Coroutine[Any, Any, None]]


def reflect(
    cluster: LocalCluster,
    scenario: Scenario,
    res: Resource = DEPLOYMENTS,
    label_selector: str | None = None,
    keep: Callable[[Any], dict[str, Any]] = kept,
) -> list[tuple[str, str, bool]]:
    """Run `scenario` beside a reflector of `res` in the test namespace; what it delivered,
    (namespace, name, whether it is there) each. The states it went through are in
    `STATES`."""
    delivered: list[tuple[str, str, bool]] = []
    STATES.clear()

    async def main() -> None:
        api = KubeApi(load_connection(str(cluster.kubeconfig_path)))
        store = Store((LABEL,))
        reflector = Reflector(
            api,
            res,
            NS,
            store,
            keep=keep,
            timeouts=QUICK,
            label_selector=label_selector,
            delivered=lambda ns, name, obj: delivered.append((ns, name, obj is not None)),
            changed=STATES.append,
        )
        task = asyncio.create_task(reflector.run())
        try:
            await asyncio.wait_for(reflector.settled.wait(), 15)
            await scenario(reflector, store)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await api.close()

    asyncio.run(main())
    return delivered


def labelled(name: str, team: str) -> dict[str, Any]:
    body = deployment(name, 1)
    body["metadata"]["labels"] = {LABEL: team}
    return body


def test_what_is_listed_and_each_change_after_is_kept_by_name_and_label(
    cluster: LocalCluster, kube: Kube, namespace: str
) -> None:
    kube.create(DEPLOYMENTS_PATH, labelled("listed", "red"))

    async def scenario(reflector: Reflector, store: Store) -> None:
        assert reflector.synced
        assert [o["metadata"]["name"] for o in store[label_key(NS, LABEL, "red")]] == ["listed"]
        await asyncio.to_thread(kube.create, DEPLOYMENTS_PATH, labelled("watched", "red"))
        await asyncio.to_thread(
            kube.patch, f"{DEPLOYMENTS_PATH}/listed", {"metadata": {"labels": {LABEL: "blue"}}}
        )
        await until(lambda: len(store.get(label_key(NS, LABEL, "blue"), ())) == 1, 10, "blue")
        assert [o["metadata"]["name"] for o in store[label_key(NS, LABEL, "red")]] == ["watched"]
        await asyncio.to_thread(kube.delete, f"{DEPLOYMENTS_PATH}/watched")
        await until(lambda: name_key(NS, "watched") not in store, 10, "the deletion")
        assert label_key(NS, LABEL, "red") not in store

    delivered = reflect(cluster, scenario)
    assert delivered[0] == (NS, "listed", True)
    assert (NS, "watched", False) in delivered
    assert STATES == ["listing", "synced"]


def test_a_label_selector_keeps_only_what_it_selects(
    cluster: LocalCluster, kube: Kube, namespace: str
) -> None:
    kube.create(DEPLOYMENTS_PATH, labelled("selected", "red"))
    kube.create(DEPLOYMENTS_PATH, deployment("unlabelled", 1))

    async def scenario(reflector: Reflector, store: Store) -> None:
        assert name_key(NS, "selected") in store
        assert name_key(NS, "unlabelled") not in store

    reflect(cluster, scenario, label_selector=LABEL)


def test_a_silent_stream_is_dropped_by_the_client_and_followed_again(
    cluster: LocalCluster, kube: Kube, namespace: str
) -> None:
    async def scenario(reflector: Reflector, store: Store) -> None:
        await until(lambda: cluster.open_watches("apps", "deployments") > 0, 10, "the stream")
        await asyncio.to_thread(cluster.silence_watches, ["deployments"])
        await asyncio.to_thread(kube.create, DEPLOYMENTS_PATH, deployment("unseen-at-first", 1))
        # Two seconds of silence end the stream; the next one, from the last version
        # delivered, brings what the silent one held back.
        await until(lambda: name_key(NS, "unseen-at-first") in store, 15, "the new stream")

    reflect(cluster, scenario)


def test_streams_cut_with_errors_are_opened_again(
    cluster: LocalCluster, kube: Kube, namespace: str
) -> None:
    async def scenario(reflector: Reflector, store: Store) -> None:
        await until(lambda: cluster.open_watches("apps", "deployments") > 0, 10, "the stream")
        await asyncio.to_thread(
            cluster.inject_faults,
            {"watch"},
            codes=(429, 500, 503),
            share=1.0,
            seconds=2,
            resources=["deployments"],
        )
        await asyncio.to_thread(kube.create, DEPLOYMENTS_PATH, deployment("after-the-cut", 1))
        await until(lambda: name_key(NS, "after-the-cut") in store, 30, "the new stream")
        assert reflector.synced
        await until(lambda: reflector.state == "synced", 30, "a stream taken again")

    reflect(cluster, scenario)
    # Failing while the streams were refused; followed on from its last version after.
    assert STATES == ["listing", "synced", "failing", "synced"]


def test_an_expired_version_lists_again_and_drops_what_was_deleted_unseen(
    cluster: LocalCluster, kube: Kube, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An API server keeps a window of past versions (etcd compacts the rest); this one's
    # is cut to a few writes, so that a stream opened again finds its version expired.
    monkeypatch.setattr(local_store, "EVENT_LOG_SIZE", 3)
    kube.create(DEPLOYMENTS_PATH, deployment("deleted-unseen", 1))
    kube.create(DEPLOYMENTS_PATH, deployment("busy", 1))

    async def scenario(reflector: Reflector, store: Store) -> None:
        assert name_key(NS, "deleted-unseen") in store
        await until(lambda: cluster.open_watches("apps", "deployments") > 0, 10, "the stream")
        await asyncio.to_thread(cluster.silence_watches, ["deployments"])
        await asyncio.to_thread(kube.delete, f"{DEPLOYMENTS_PATH}/deleted-unseen")
        for replicas in range(2, 7):
            await asyncio.to_thread(
                kube.patch, f"{DEPLOYMENTS_PATH}/busy", {"spec": {"replicas": replicas}}
            )
        await until(lambda: name_key(NS, "deleted-unseen") not in store, 15, "a new listing")
        assert store[name_key(NS, "busy")][0]["spec"]["replicas"] == 6

    delivered = reflect(cluster, scenario)
    assert (NS, "deleted-unseen", False) in delivered


def test_a_kind_the_server_does_not_serve_is_settled_unsynced_and_said_once(
    cluster: LocalCluster, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    widgets = Resource("example.com", "v1", "widgets")

    async def scenario(reflector: Reflector, store: Store) -> None:
        assert not reflector.synced
        assert len(store) == 0
        assert STATES == ["listing", "unserved"]

    with caplog.at_level(logging.INFO, "pixelproof.kube.reflector"):
        reflect(cluster, scenario, res=widgets)
    # Said, not warned of: a router's CRD is installed only where that router is used.
    assert all(r.levelno == logging.INFO for r in caplog.records)
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1, said
    assert (
        said[0].startswith(f"widgets in namespace {NS}: 404") and "reads go to the API" in said[0]
    )


def test_a_fault_of_its_own_leaves_reads_to_the_api_until_it_lists_afresh(
    cluster: LocalCluster,
    kube: Kube,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(reflector_module, "BACKOFFS", (1.0,))
    failed: list[str] = []

    def keep_failing_once(body: Any) -> dict[str, Any]:
        name = body["metadata"]["name"]
        if name == "poison" and not failed:
            failed.append(name)
            raise RuntimeError("a bug in what is kept")
        return dict(body)

    async def scenario(reflector: Reflector, store: Store) -> None:
        await asyncio.to_thread(kube.create, DEPLOYMENTS_PATH, deployment("poison", 1))
        await until(lambda: bool(failed), 10, "the fault")
        assert not reflector.synced
        await until(lambda: reflector.synced and name_key(NS, "poison") in store, 10, "a listing")

    with caplog.at_level(logging.ERROR, "pixelproof.kube.reflector"):
        reflect(cluster, scenario, keep=keep_failing_once)
    assert any("following it failed" in r.getMessage() for r in caplog.records)


def test_a_kind_it_may_not_read_is_settled_forbidden_and_warned_of_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The local API server has no RBAC: this stands in for a real one's refusal, with
    # the Status body Kubernetes sends.
    refusal = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": "Forbidden",
        "code": 403,
        "message": 'jobs.batch is forbidden: User "system:serviceaccount:ops:pixelproof" '
        'cannot list resource "jobs" in API group "batch" in the namespace "imagegen"',
    }
    asked: list[str] = []

    async def refuse(request: aiohttp.web.Request) -> aiohttp.web.Response:
        asked.append(request.path_qs)
        return aiohttp.web.json_response(refusal, status=403)

    async def main() -> Reflector:
        app = aiohttp.web.Application()
        app.router.add_get("/{tail:.*}", refuse)
        runner = aiohttp.web.AppRunner(app)
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        api = KubeApi(Connection(server=f"http://127.0.0.1:{port}"))
        reflector = Reflector(api, JOBS, NS, Store(), keep=kept, timeouts=QUICK)
        task = asyncio.create_task(reflector.run())
        try:
            await asyncio.wait_for(reflector.settled.wait(), 15)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await api.close()
            await runner.cleanup()
        return reflector

    with caplog.at_level(logging.INFO, "pixelproof.kube.reflector"):
        reflector = asyncio.run(main())
    assert (reflector.state, reflector.synced) == ("forbidden", False)
    assert asked == [f"/apis/batch/v1/namespaces/{NS}/jobs?limit=500"]
    [said] = caplog.records
    assert said.levelno == logging.WARNING
    assert "403 Forbidden: jobs.batch is forbidden" in said.getMessage()
