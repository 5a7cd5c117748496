"""A small asyncio Kubernetes API client: the few verbs the operator needs, nothing more.

kopf watches and handles ModelRollouts with its own connection; this client does the
rest (routers, Deployments, Jobs, status) so that every request the operator makes
goes through one place that can be observed and checked against its permissions."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx

from .cache import MISS, ObjectCache
from .credentials import Connection
from .errors import JSON_PATCH, ApiError, ConflictError, NotFoundError, api_error
from .resources import SECRETS, Resource

PatchKind = Literal["merge", "json"]
CONTENT_TYPES = {"merge": "application/merge-patch+json", "json": JSON_PATCH}


RequestObserver = Callable[[str, str, Mapping[str, str]], None]
"""Called with (method, path, query parameters) before every request."""


class KubeApi:
    def __init__(
        self,
        connection: Connection,
        *,
        observer: RequestObserver | None = None,
        timeout: float = 30.0,
        max_connections: int = 16,
        cache: ObjectCache | None = None,
    ) -> None:
        self._connection = connection
        self._observer = observer
        self.cache = cache
        """Answers reads where the operator's watches can, and learns from its writes."""
        # Requests wait here rather than in httpx's pool: its queue is rescanned for every
        # connection state change, which costs quadratic CPU with hundreds of requests queued.
        self._slots = asyncio.Semaphore(max_connections)
        self._client = httpx.AsyncClient(
            base_url=connection.server,
            verify=connection.ssl_context(),
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
            headers={"User-Agent": "pixelproof-operator", "Accept": "application/json"},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        params = dict(params or {})
        if self._observer is not None:
            self._observer(method, path, params)
        content, headers = encode(self._connection, body, content_type)
        async with self._slots:
            response = await self._client.request(
                method, path, params=params, content=content, headers=headers
            )
        return decode(response, content_type=content_type, body=body)

    async def get(self, res: Resource, namespace: str, name: str, sub: str | None = None) -> Any:
        return await self._request("GET", res.path(namespace, name, sub))

    async def find(self, res: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist. Callers only read what it returns:
        it may be the cache's copy."""
        if self.cache is not None:
            cached = self.cache.lookup(res, namespace, name)
            if cached is not MISS:
                return cached  # type: ignore[return-value]
        try:
            found: dict[str, Any] | None = await self.get(res, namespace, name)
        except NotFoundError:
            found = None
        if self.cache is not None:
            self.cache.fetched(res, namespace, name, found)
        return found

    async def read_secret(self, namespace: str, name: str, key: str) -> str | None:
        """One decoded key of a Secret; None when the Secret or the key is absent."""
        secret = await self.find(SECRETS, namespace, name)
        encoded = ((secret or {}).get("data") or {}).get(key)
        return None if encoded is None else base64.b64decode(encoded).decode()

    async def list(
        self, res: Resource, namespace: str, *, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        if self.cache is not None:
            cached = self.cache.select(res, namespace, label_selector)
            if cached is not MISS:
                return cached  # type: ignore[return-value]
        params = {"labelSelector": label_selector} if label_selector else {}
        answer = await self._request("GET", res.path(namespace), params=params)
        items: list[dict[str, Any]] = answer.get("items") or []
        return items

    async def create(self, res: Resource, namespace: str, body: Mapping[str, Any]) -> Any:
        created = await self._request("POST", res.path(namespace), body=body)
        if self.cache is not None and isinstance(created, dict):
            self.cache.wrote(res, created)
        return created

    async def patch(
        self,
        res: Resource,
        namespace: str,
        name: str,
        body: Any,
        *,
        kind: PatchKind = "merge",
        sub: str | None = None,
    ) -> Any:
        try:
            patched = await self._request(
                "PATCH", res.path(namespace, name, sub), body=body, content_type=CONTENT_TYPES[kind]
            )
        except ConflictError:
            if self.cache is not None:
                self.cache.stale(res, namespace, name)
            raise
        if self.cache is not None and isinstance(patched, dict):
            if sub in (None, "status"):
                self.cache.wrote(res, patched)
            else:
                version = (patched.get("metadata") or {}).get("resourceVersion")
                self.cache.wrote_version(res, namespace, name, version)
        return patched

    async def delete(self, res: Resource, namespace: str, name: str) -> bool:
        """Delete with background propagation; False when it was already gone."""
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        try:
            await self._request("DELETE", res.path(namespace, name), body=body)
            gone = True
        except NotFoundError:
            gone = False
        if self.cache is not None:
            self.cache.deleted(res, namespace, name)
        return gone


def encode(
    connection: Connection, body: Any, content_type: str
) -> tuple[bytes | None, dict[str, str]]:
    """The bytes and headers of a request that sends `body` (None: nothing) as `content_type`."""
    headers = dict(connection.auth_headers())
    if body is None:
        return None, headers
    headers["Content-Type"] = content_type
    return json.dumps(body).encode(), headers


def decode(response: httpx.Response, *, content_type: str, body: Any) -> Any:
    """The JSON the server answered, or the error it refused the request with."""
    if response.status_code >= 400:
        raise error_from(response, content_type=content_type, body=body)
    return response.json() if response.content else None


def error_from(response: httpx.Response, *, content_type: str, body: Any) -> ApiError:
    """The refusal in `response` to a request that sent `body` as `content_type`."""
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    message = str(doc.get("message") or response.text[:500] or response.reason_phrase)
    reason = str(doc.get("reason") or response.reason_phrase)
    return api_error(response.status_code, reason, message, content_type=content_type, body=body)
