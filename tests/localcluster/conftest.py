from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kubernetes
import pytest

from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.localcluster import TEST_CRDS


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(crd_paths=[TEST_CRDS]) as running:
        yield running


@pytest.fixture
def api(cluster: LocalCluster) -> Iterator[Any]:
    client = cluster.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def core(api: Any) -> Any:
    return kubernetes.client.CoreV1Api(api)


@pytest.fixture
def custom(api: Any) -> Any:
    return kubernetes.client.CustomObjectsApi(api)
