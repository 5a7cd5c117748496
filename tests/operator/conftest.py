from __future__ import annotations

from collections.abc import Iterator

import pytest
from operator_world import Kube, ScriptedEvaluator, local_cluster

from pixelproof_localcluster import LocalCluster


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
