"""A blocking JSON client for the same API: the demo's and the tests' own reads and writes,
refused requests raising the same errors as the operator's client."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from .client import CONTENT_TYPES, decode, encode, error_from
from .credentials import Connection
from .errors import NotFoundError
from .resources import BY_KIND


class KubeClient:
    def __init__(self, server: str | Connection, *, timeout: float = 10) -> None:
        self.connection = server if isinstance(server, Connection) else Connection(server=server)
        self.http = httpx.Client(
            base_url=self.connection.server,
            verify=self.connection.ssl_context(),
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        content, headers = encode(self.connection, body, content_type)
        response = self.http.request(
            method, path, params=dict(params or {}), content=content, headers=headers
        )
        return decode(response, content_type=content_type, body=body)

    def watch(
        self, path: str, params: Mapping[str, str], *, read_timeout: float
    ) -> Iterator[dict[str, Any]]:
        """The watch events on the collection at `path`, one dict ({type, object}) a line,
        until the server ends the watch; a read quiet for `read_timeout` raises httpx.ReadTimeout."""
        timeout = httpx.Timeout(self.http.timeout.connect, read=read_timeout)
        query = {**params, "watch": "true"}
        headers = self.connection.auth_headers()
        with self.http.stream("GET", path, params=query, headers=headers, timeout=timeout) as reply:
            if reply.status_code >= 400:
                reply.read()
                raise error_from(reply, content_type="application/json", body=None)
            for line in reply.iter_lines():
                if line.strip():
                    event: dict[str, Any] = json.loads(line)
                    yield event

    def get(self, path: str) -> Any:
        """The object at `path`, or None when it does not exist."""
        try:
            return self.request("GET", path)
        except NotFoundError:
            return None

    def list(self, path: str, selector: str | None = None) -> list[dict[str, Any]]:
        params = {"labelSelector": selector} if selector else {}
        items: list[dict[str, Any]] = self.request("GET", path, params=params)["items"]
        return items

    def create(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.request("POST", path, body=body)

    def create_object(self, obj: Mapping[str, Any]) -> Any:
        """Create `obj` in the collection its kind and namespace name."""
        namespace = obj["metadata"].get("namespace", "")
        return self.create(BY_KIND[obj["kind"]].path(namespace), obj)

    def patch(self, path: str, body: Any, content_type: str = CONTENT_TYPES["merge"]) -> Any:
        return self.request("PATCH", path, body=body, content_type=content_type)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)
