from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from pixelproof_refgen import Faults, RefGenServer


@pytest.fixture
def start_server() -> Iterator[Callable[..., RefGenServer]]:
    servers: list[RefGenServer] = []

    def start(faults: Faults | None = None, **kwargs: object) -> RefGenServer:
        server = RefGenServer(0, faults, **kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as c:
        yield c
