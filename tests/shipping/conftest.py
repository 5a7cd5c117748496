from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pixelproof_testkit.tools import ToolsUnavailable, tool_paths
from pixelproof_testkit.webhooks import Receiver, running_receiver


@pytest.fixture(scope="session")
def tools() -> dict[str, Path]:
    try:
        paths: dict[str, Path] = tool_paths()
    except ToolsUnavailable as exc:
        # The chart is only tested by the real binaries: missing them is a failure, not a skip.
        pytest.fail(f"helm and kubectl are unavailable: {exc}")
    return paths


@pytest.fixture(scope="session")
def helm(tools: dict[str, Path]) -> Path:
    return tools["helm"]


@pytest.fixture(scope="session")
def kubectl(tools: dict[str, Path]) -> Path:
    return tools["kubectl"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state
