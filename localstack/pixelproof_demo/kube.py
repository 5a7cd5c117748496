"""A small JSON client for the stack's own reads and writes to the Kubernetes API."""

from __future__ import annotations

import json
from typing import Any

import httpx

GROUP_PATHS = {
    "Namespace": "/api/v1/namespaces",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "Service": "/api/v1/namespaces/{ns}/services",
    "ConfigMap": "/api/v1/namespaces/{ns}/configmaps",
    "HTTPRoute": "/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes",
    "ModelRollout": "/apis/pixelproof.dev/v1alpha1/namespaces/{ns}/modelrollouts",
    "Event": "/api/v1/namespaces/{ns}/events",
    "Job": "/apis/batch/v1/namespaces/{ns}/jobs",
}


class KubeError(RuntimeError):
    pass


def collection(kind: str, namespace: str = "") -> str:
    """The collection path of `kind` in `namespace`, or across all namespaces when empty."""
    path = GROUP_PATHS[kind]
    if not namespace:
        path = path.replace("/namespaces/{ns}", "")
    return path.format(ns=namespace)


class Kube:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def _check(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise KubeError(
                f"{response.request.method} {response.request.url.path}: "
                f"{response.status_code} {response.text[:500]}"
            )
        return response.json()

    def create(self, obj: dict[str, Any]) -> Any:
        namespace = obj["metadata"].get("namespace", "")
        return self._check(self.http.post(collection(obj["kind"], namespace), json=obj))

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        response = self.http.get(f"{collection(kind, namespace)}/{name}")
        if response.status_code == 404:
            return None
        found: dict[str, Any] = self._check(response)
        return found

    def list(self, kind: str, namespace: str = "") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._check(self.http.get(collection(kind, namespace)))[
            "items"
        ]
        return items

    def merge_patch(self, kind: str, namespace: str, name: str, body: dict[str, Any]) -> Any:
        return self._check(
            self.http.patch(
                f"{collection(kind, namespace)}/{name}",
                content=json.dumps(body),
                headers={"Content-Type": "application/merge-patch+json"},
            )
        )
