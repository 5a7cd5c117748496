"""A small asyncio Kubernetes API client: the few verbs the operator needs, nothing more.

kopf watches and handles ModelRollouts with its own connection; this client does the
rest (routers, Deployments, Jobs, status) so that every request the operator makes
goes through one place that can be observed and checked against its permissions."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Literal

import aiohttp
import httpx

from .cache import MISS, ObjectCache
from .credentials import Connection
from .errors import (
    JSON_PATCH,
    ApiError,
    ConflictError,
    NotFoundError,
    TransportError,
    api_error,
)
from .reads import noted_find, noted_list, noted_uncached
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
        # Requests wait here rather than in the connection pool, which wakes every waiter
        # whenever a connection frees up.
        self._slots = asyncio.Semaphore(max_connections)
        self._max_connections = max_connections
        self._timeout = timeout
        # aiohttp, as kopf uses: httpx's pool costs several milliseconds of CPU a request
        # (it rescans every connection's socket on each request), a thousand rollouts' worth
        # of requests saturates the event loop with that alone.
        self._session: aiohttp.ClientSession | None = None
        # Watch streams stay open for minutes: they have connections of their own, so
        # that they never hold the requests' slots and connections.
        self._streams: aiohttp.ClientSession | None = None

    def _new_session(self, limit: int, total: float | None) -> aiohttp.ClientSession:
        # Made on first use, inside the event loop that uses it.
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit, ssl=self._connection.ssl_context()),
            timeout=aiohttp.ClientTimeout(total=total),
            headers={"User-Agent": "pixelproof-operator", "Accept": "application/json"},
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self._new_session(self._max_connections, self._timeout)
        return self._session

    def _url(self, path: str) -> str:
        # The server's own path prefix (an API proxy's) is kept: joined, not resolved.
        return self._connection.server.rstrip("/") + path

    async def close(self) -> None:
        for session in (self._session, self._streams):
            if session is not None:
                await session.close()
        self._session = self._streams = None

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
            try:
                async with self._http().request(
                    method, self._url(path), params=params, data=content, headers=headers
                ) as response:
                    payload = await response.read()
                    status, phrase = response.status, response.reason or ""
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise TransportError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        return answer(status, phrase, payload, content_type=content_type, body=body)

    async def get(self, res: Resource, namespace: str, name: str, sub: str | None = None) -> Any:
        noted_uncached()
        return await self._get(res, namespace, name, sub)

    async def _get(self, res: Resource, namespace: str, name: str, sub: str | None = None) -> Any:
        return await self._request("GET", res.path(namespace, name, sub))

    async def find(self, res: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist. Callers only read what it returns:
        it may be the cache's copy."""
        if self.cache is not None:
            cached = self.cache.lookup(res, namespace, name)
            if cached is not MISS:
                noted_find(res, namespace, name, cached)  # type: ignore[arg-type]
                return cached  # type: ignore[return-value]
        try:
            found: dict[str, Any] | None = await self._get(res, namespace, name)
        except NotFoundError:
            found = None
        if self.cache is not None:
            self.cache.fetched(res, namespace, name, found)
        noted_find(res, namespace, name, found)
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
                noted_list(res, namespace, label_selector, cached)  # type: ignore[arg-type]
                return cached  # type: ignore[return-value]
        params = {"labelSelector": label_selector} if label_selector else {}
        answer = await self._request("GET", res.path(namespace), params=params)
        items: list[dict[str, Any]] = answer.get("items") or []
        noted_list(res, namespace, label_selector, items)
        return items

    async def list_page(
        self, res: Resource, namespace: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """One page of a listing, as the API server answers it: its items, and in its
        metadata the version it is at and where the next page continues."""
        page: dict[str, Any] = await self._request("GET", res.path(namespace), params=params)
        return page

    async def watch(
        self,
        res: Resource,
        namespace: str,
        params: Mapping[str, str],
        *,
        client_timeout: float,
        connect_timeout: float,
        opened: Callable[[], None] = lambda: None,
    ) -> AsyncIterator[dict[str, Any]]:
        """The events of a watch stream (`params` hold watch=true and where it starts)
        until the server ends it, or until `client_timeout` seconds have passed, however
        long the server meant to keep it open (a stuck stream delivers nothing, and
        says nothing of it). `opened` is called once the server has taken the stream."""
        path = res.path(namespace)
        if self._observer is not None:
            self._observer("GET", path, dict(params))
        if self._streams is None:
            self._streams = self._new_session(0, None)
        timeout = aiohttp.ClientTimeout(total=client_timeout, sock_connect=connect_timeout)
        headers = dict(self._connection.auth_headers())
        try:
            async with self._streams.get(
                self._url(path), params=params, headers=headers, timeout=timeout
            ) as response:
                if response.status >= 400:
                    payload = await response.read()
                    raise refusal(
                        response.status, response.reason or "", payload, content_type="", body=None
                    )
                opened()
                buffered = b""
                # Split here, not with readline: one object may be longer than
                # aiohttp's line limit.
                async for chunk in response.content.iter_any():
                    lines = (buffered + chunk).split(b"\n")
                    buffered = lines.pop()
                    for line in lines:
                        if line.strip():
                            yield json.loads(line)
        except aiohttp.ClientError as exc:
            # aiohttp's connect and read timeouts are among these: failures, not an end.
            raise TransportError(f"watch {path}: {type(exc).__name__}: {exc}") from exc
        except TimeoutError:
            return

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


def answer(status: int, phrase: str, payload: bytes, *, content_type: str, body: Any) -> Any:
    """The JSON of an answer with HTTP `status`, or the error it refused the request with."""
    if status >= 400:
        raise refusal(status, phrase, payload, content_type=content_type, body=body)
    return json.loads(payload) if payload else None


def error_from(response: httpx.Response, *, content_type: str, body: Any) -> ApiError:
    """The refusal in `response` to a request that sent `body` as `content_type`."""
    return refusal(
        response.status_code,
        response.reason_phrase,
        response.content,
        content_type=content_type,
        body=body,
    )


def refusal(status: int, phrase: str, payload: bytes, *, content_type: str, body: Any) -> ApiError:
    """The refusal an answer with HTTP `status` carries, to a request that sent `body`."""
    try:
        doc = json.loads(payload)
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    text = payload[:500].decode(errors="replace")
    message = str(doc.get("message") or text or phrase)
    reason = str(doc.get("reason") or phrase)
    return api_error(status, reason, message, content_type=content_type, body=body)
