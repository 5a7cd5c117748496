"""The HTTP listener for the local API server."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import kmock


class LoopbackServer(kmock.Server):
    """``kmock.Server`` without its process-wide DNS interception.

    Clients reach this server by its 127.0.0.1 URL, so no name needs intercepting, and
    kmock's interceptor cannot be unwound when several servers in one process stop out
    of the order they started in (each runs in its own thread here).
    """

    async def __aenter__(self) -> Self:
        if self._managed_server is not None:
            raise RuntimeError("The server can be started only once.")
        self._managed_server = self._server_cls(self.handler, host=self._host, port=self._port)
        await self._managed_server.__aenter__()
        self._managed_client = self._client_fct(self._managed_server.make_url("/"))
        await self._managed_client.__aenter__()
        self.handler.servers.append(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.handler.servers.remove(self)
        assert self._managed_client is not None and self._managed_server is not None
        await self._managed_client.__aexit__(exc_type, exc_value, traceback)
        await self._managed_server.__aexit__(exc_type, exc_value, traceback)
        self._managed_client = None
        self._managed_server = None
