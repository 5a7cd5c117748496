from __future__ import annotations

from collections.abc import Iterator

import pytest

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import Kube
from pixelproof_testkit.operators import local_cluster
from pixelproof_testkit.scenario import World
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator


@pytest.fixture
def evaluator() -> ScriptedEvaluator:
    return ScriptedEvaluator()


@pytest.fixture
def cluster(evaluator: ScriptedEvaluator) -> Iterator[LocalCluster]:
    with local_cluster(evaluator) as running:
        yield running


@pytest.fixture
def kube(cluster: LocalCluster) -> Iterator[Kube]:
    client = Kube(cluster.url)
    yield client
    client.close()


@pytest.fixture
def world(cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator) -> Iterator[World]:
    """The scenarios' world; the operator a scenario started stops with it."""
    with World(cluster, kube, evaluator) as running:
        yield running
