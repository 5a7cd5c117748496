"""The read cache over the watches: what it answers, what it leaves to the API server,
and how the operator's own writes stand in until the watch delivers them."""

from __future__ import annotations

from typing import Any

from pixelproof.controller.watches import WatchActivity
from pixelproof.kube import DEPLOYMENTS, JOBS, MISS, SERVICES, ObjectCache, index_keys

NS = "imagegen"


def obj(name: str, version: int, labels: dict[str, str] | None = None, **rest: Any) -> dict:  # type: ignore[type-arg]
    meta = {"name": name, "namespace": NS, "resourceVersion": str(version)}
    return {"metadata": {**meta, "labels": labels or {}}, **rest}


class Watched(dict):  # type: ignore[type-arg]
    """A source as the cache reads one: each key to the objects stored under it."""

    def put(self, body: dict, listed_by: tuple[str, ...] = ()) -> None:  # type: ignore[type-arg]
        meta = body["metadata"]
        for key in index_keys(NS, meta["name"], meta.get("labels") or {}, listed_by):
            if key[0] == "label":
                self.setdefault(key, []).append(body)
            else:
                self[key] = [body]


def cache_with(*objects: dict, listed_by: tuple[str, ...] = ()) -> tuple[ObjectCache, Watched]:  # type: ignore[type-arg]
    source = Watched()
    for body in objects:
        source.put(body, listed_by)
    cache = ObjectCache(lambda namespace: namespace == NS)
    cache.watch(DEPLOYMENTS, source, listed_by)
    return cache, source


def test_watched_objects_are_answered_and_the_rest_left_to_the_api() -> None:
    cache, _ = cache_with(obj("poster-v1", 5))
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1") == obj("poster-v1", 5)
    assert cache.lookup(DEPLOYMENTS, NS, "absent") is MISS
    assert cache.lookup(DEPLOYMENTS, "elsewhere", "poster-v1") is MISS
    assert cache.lookup(SERVICES, NS, "poster-v1") is MISS


def test_an_own_write_is_answered_until_the_watch_delivers_it() -> None:
    cache, source = cache_with(obj("poster-v1", 5))
    cache.wrote(DEPLOYMENTS, obj("poster-v1", 7, spec={"replicas": 2}))
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1") == obj("poster-v1", 7, spec={"replicas": 2})
    assert [name for _, _, name, _ in cache.unseen_writes()] == ["poster-v1"]
    # A late event of a version before the write does not win over it.
    source.put(obj("poster-v1", 6))
    cache.delivered(DEPLOYMENTS, obj("poster-v1", 6))
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1")["metadata"]["resourceVersion"] == "7"
    source.put(obj("poster-v1", 8))
    cache.delivered(DEPLOYMENTS, obj("poster-v1", 8))
    assert list(cache.unseen_writes()) == []
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1") == obj("poster-v1", 8)


def test_a_lost_race_or_a_subresource_write_is_read_again_until_the_watch_catches_up() -> None:
    cache, source = cache_with(obj("poster-v1", 5))
    cache.stale(DEPLOYMENTS, NS, "poster-v1")
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1") is MISS
    cache.fetched(DEPLOYMENTS, NS, "poster-v1", obj("poster-v1", 9))
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1") == obj("poster-v1", 9)
    cache.wrote_version(DEPLOYMENTS, NS, "poster-v1", "12")
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1") is MISS
    source.put(obj("poster-v1", 12))
    assert cache.lookup(DEPLOYMENTS, NS, "poster-v1") == obj("poster-v1", 12)


def test_deleted_objects_are_gone_at_once_and_lists_by_label_come_from_the_watch() -> None:
    label = "pixelproof.dev/rollout"
    first, second = obj("job-1", 3, {label: "poster"}), obj("job-2", 4, {label: "poster"})
    source = Watched()
    for body in (first, second):
        source.put(body, (label,))
    cache = ObjectCache()
    cache.watch(JOBS, source, (label,))
    assert cache.select(JOBS, NS, f"{label}=poster") == [first, second]
    assert cache.select(JOBS, NS, f"{label}=other") == []
    assert cache.select(JOBS, NS, "app=poster") is MISS
    assert cache.select(JOBS, NS, f"{label}!=poster") is MISS
    cache.deleted(JOBS, NS, "job-1")
    assert cache.lookup(JOBS, NS, "job-1") is None
    assert cache.select(JOBS, NS, f"{label}=poster") == [second]


def test_a_watch_that_never_delivers_an_own_write_is_reported_silent() -> None:
    cache, _ = cache_with(obj("poster-v1", 5))
    activity = WatchActivity(limit=0.0)
    assert activity.silent(cache) == []
    cache.wrote(DEPLOYMENTS, obj("poster-v1", 7))
    (line,) = activity.silent(cache)
    assert "deployments watch in imagegen" in line and "poster-v1" in line
    cache.delivered(DEPLOYMENTS, obj("poster-v1", 7))
    assert activity.silent(cache) == []
