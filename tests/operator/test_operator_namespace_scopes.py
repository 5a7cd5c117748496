"""The reflectors for each way of naming the namespaces to watch: all of them, a glob
(followed across all, kept only where it matches), names; the rollout's reads of the
kinds they keep are answered from them, not asked of the API server."""

from __future__ import annotations

import pytest

from pixelproof.controller.watches import scopes
from pixelproof.kube import DEPLOYMENTS
from pixelproof.kube.cache import name_key
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import NS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import create_namespace, deployment, rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for

OTHER = "elsewhere"


def test_names_are_watched_each_and_globs_or_none_across_all_namespaces() -> None:
    assert scopes(()) == [None]
    assert scopes(("imagegen", "video", "imagegen")) == ["imagegen", "video"]
    assert scopes(("image*", "video")) == [None]
    # With an exclusion every read goes to the API server: nothing is kept.
    assert scopes(("!kube-system",)) == []


@pytest.mark.parametrize(("namespaces", "scope"), [((), None), (("image*",), None), ((NS,), NS)])
def test_a_rollout_reads_what_the_reflectors_keep(
    cluster: LocalCluster,
    kube: Kube,
    namespaces: tuple[str, ...],
    scope: str | None,
) -> None:
    seed_namespace(kube)
    create_namespace(kube, OTHER)
    elsewhere = deployment("unwatched", 1)
    elsewhere["metadata"]["namespace"] = OTHER
    kube.create(f"/apis/apps/v1/namespaces/{OTHER}/deployments", elsewhere)
    gets: list[str] = []

    def observe(method: str, path: str, params: object) -> None:
        if method == "GET" and "/deployments/" in path:
            gets.append(path)

    with operator_in_thread(
        cluster, namespaces=list(namespaces), request_observer=observe
    ) as operator:
        assert list(operator.kinds.reflectors[DEPLOYMENTS]) == [scope]
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 50}, {"setWeight": 100}]))
        wait_for(
            lambda: kube.status("poster-gen").get("phase") == "Succeeded",
            60,
            "the rollout to succeed",
        )
        store = operator.kinds.stores[DEPLOYMENTS]
        assert name_key(NS, "poster-v1") in store
        assert (name_key(OTHER, "unwatched") in store) is (not namespaces)
    # Only a read right after a write of the operator's own asks the API server.
    assert len(gets) <= 2, gets
