"""A blocking JSON client for the same API: the demo's and the tests' own reads and writes,
refused requests raising the same errors as the operator's client."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from .client import CONTENT_TYPES, error_from
from .errors import NotFoundError
from .resources import BY_KIND


class KubeClient:
    def __init__(self, url: str, *, timeout: float = 10) -> None:
        self.http = httpx.Client(base_url=url, timeout=timeout)

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
        content = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": content_type}
        response = self.http.request(
            method, path, params=dict(params or {}), content=content, headers=headers
        )
        if response.status_code >= 400:
            raise error_from(response, content_type=content_type, body=body)
        return response.json() if response.content else None

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
