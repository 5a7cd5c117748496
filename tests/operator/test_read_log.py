"""What a reconcile read, noted by the API client, and whether the watches' cache still
holds each of it at the version read."""

from __future__ import annotations

import asyncio
from typing import Any

from pixelproof.kube import DEPLOYMENTS, JOBS, PODS, Connection, KubeApi, ObjectCache, index_keys
from pixelproof.kube.reads import ReadLog, recording

NS = "imagegen"
LABEL = "job-name"


def obj(name: str, version: int, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta = {"name": name, "namespace": NS, "resourceVersion": str(version)}
    return {"metadata": {**meta, "labels": labels or {}}}


class Watched(dict):  # type: ignore[type-arg]
    """A source as the cache reads one: each key to the objects stored under it."""

    def put(self, body: dict[str, Any], listed_by: tuple[str, ...] = ()) -> None:
        meta = body["metadata"]
        for key in index_keys(NS, meta["name"], meta.get("labels") or {}, listed_by):
            if key[0] == "label":
                self[key] = [o for o in self.get(key, []) if o["metadata"]["name"] != meta["name"]]
                self[key].append(body)
            else:
                self[key] = [body]


def setup() -> tuple[KubeApi, Watched, Watched]:
    deployments, pods = Watched(), Watched()
    deployments.put(obj("poster-v2", 5))
    pods.put(obj("eval-1-abc", 9, {LABEL: "eval-1"}), (LABEL,))
    cache = ObjectCache(lambda namespace: namespace == NS)
    cache.watch(DEPLOYMENTS, deployments)
    cache.watch(PODS, pods, (LABEL,))
    # Nothing listens there: a read the cache cannot answer fails rather than pass unseen.
    api = KubeApi(Connection(server="http://127.0.0.1:9"), cache=cache)
    return api, deployments, pods


async def _read(api: KubeApi) -> ReadLog:
    with recording() as log:
        await asyncio.gather(
            api.find(DEPLOYMENTS, NS, "poster-v2"),
            api.list(PODS, NS, label_selector=f"{LABEL}=eval-1"),
        )
    await api.close()
    return log


def test_reads_in_gathered_tasks_are_noted_and_unchanged_while_the_cache_is() -> None:
    api, _, _ = setup()
    log = asyncio.run(_read(api))
    assert log.found == {(DEPLOYMENTS, NS, "poster-v2"): "5"}
    assert log.listed == {(PODS, NS, f"{LABEL}=eval-1"): frozenset({("eval-1-abc", "9")})}
    assert api.cache is not None and log.unchanged(api.cache)


def test_a_new_version_of_an_object_read_is_a_change() -> None:
    api, deployments, _ = setup()
    log = asyncio.run(_read(api))
    deployments.put(obj("poster-v2", 6))
    assert api.cache is not None and not log.unchanged(api.cache)


def test_an_object_joining_a_selection_read_is_a_change() -> None:
    api, _, pods = setup()
    log = asyncio.run(_read(api))
    pods.put(obj("eval-1-def", 11, {LABEL: "eval-1"}), (LABEL,))
    assert api.cache is not None and not log.unchanged(api.cache)


def test_an_own_write_not_yet_delivered_is_a_change() -> None:
    api, _, _ = setup()
    log = asyncio.run(_read(api))
    assert api.cache is not None
    api.cache.wrote(DEPLOYMENTS, obj("poster-v2", 8))
    assert not log.unchanged(api.cache)


def test_what_the_cache_does_not_keep_is_never_taken_as_unchanged() -> None:
    api, _, _ = setup()
    log = ReadLog(found={(JOBS, NS, "eval-1"): "3"})
    assert api.cache is not None and not log.unchanged(api.cache)
    assert not ReadLog(unanswerable=True).unchanged(api.cache)


def test_reads_outside_a_recording_are_not_noted() -> None:
    api, _, _ = setup()

    async def read() -> None:
        await api.find(DEPLOYMENTS, NS, "poster-v2")
        await api.close()

    with recording() as log:
        pass
    asyncio.run(read())
    assert log.found == {}
