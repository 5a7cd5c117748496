"""A small asyncio Kubernetes API client: the few verbs the operator needs, nothing more.

kopf watches and handles ModelRollouts with its own connection; this client does the
rest (routers, Deployments, Jobs, status) so that every request the operator makes
goes through one place that can be observed and checked against its permissions."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

from .credentials import Connection

PatchKind = Literal["merge", "json"]
_CONTENT_TYPES = {"merge": "application/merge-patch+json", "json": "application/json-patch+json"}


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{quote(namespace)}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name)}"
        if sub is not None:
            base += f"/{sub}"
        return base


DEPLOYMENTS = Resource("apps", "v1", "deployments")
SERVICES = Resource("", "v1", "services")
CONFIGMAPS = Resource("", "v1", "configmaps")
SECRETS = Resource("", "v1", "secrets")
PODS = Resource("", "v1", "pods")
EVENTS = Resource("", "v1", "events")
JOBS = Resource("batch", "v1", "jobs")
HTTPROUTES = Resource("gateway.networking.k8s.io", "v1", "httproutes")
VIRTUALSERVICES = Resource("networking.istio.io", "v1beta1", "virtualservices")
MODELROLLOUTS = Resource("pixelproof.dev", "v1alpha1", "modelrollouts")


class ApiError(Exception):
    """A request the API server refused, with its status code and Kubernetes reason."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message

    @property
    def not_found(self) -> bool:
        return self.code == 404

    @property
    def conflict(self) -> bool:
        """Someone else wrote first: a stale resourceVersion (409) or a failed JSON-patch test (422)."""
        return self.code == 409 or (self.code == 422 and "test" in self.message.lower())


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
    ) -> None:
        self._connection = connection
        self._observer = observer
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
        headers = dict(self._connection.auth_headers())
        content = None
        if body is not None:
            headers["Content-Type"] = content_type
            content = json.dumps(body).encode()
        async with self._slots:
            response = await self._client.request(
                method, path, params=params, content=content, headers=headers
            )
        if response.status_code >= 400:
            raise _api_error(response)
        return response.json() if response.content else None

    async def get(self, res: Resource, namespace: str, name: str, sub: str | None = None) -> Any:
        return await self._request("GET", res.path(namespace, name, sub))

    async def find(self, res: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            found: dict[str, Any] = await self.get(res, namespace, name)
        except ApiError as exc:
            if exc.not_found:
                return None
            raise
        return found

    async def read_secret(self, namespace: str, name: str, key: str) -> str | None:
        """One decoded key of a Secret; None when the Secret or the key is absent."""
        secret = await self.find(SECRETS, namespace, name)
        encoded = ((secret or {}).get("data") or {}).get(key)
        return None if encoded is None else base64.b64decode(encoded).decode()

    async def list(
        self, res: Resource, namespace: str, *, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"labelSelector": label_selector} if label_selector else {}
        answer = await self._request("GET", res.path(namespace), params=params)
        items: list[dict[str, Any]] = answer.get("items") or []
        return items

    async def create(self, res: Resource, namespace: str, body: Mapping[str, Any]) -> Any:
        return await self._request("POST", res.path(namespace), body=body)

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
        return await self._request(
            "PATCH", res.path(namespace, name, sub), body=body, content_type=_CONTENT_TYPES[kind]
        )

    async def delete(self, res: Resource, namespace: str, name: str) -> bool:
        """Delete with background propagation; False when it was already gone."""
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        try:
            await self._request("DELETE", res.path(namespace, name), body=body)
        except ApiError as exc:
            if exc.not_found:
                return False
            raise
        return True


def _api_error(response: httpx.Response) -> ApiError:
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    message = str(doc.get("message") or response.text[:500] or response.reason_phrase)
    return ApiError(response.status_code, str(doc.get("reason") or response.reason_phrase), message)
