"""The plugin's connection to the cluster: kubeconfig, context and namespace as kubectl picks
them, and the ModelRollout reads and writes it makes through the shared blocking client."""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import kubernetes

from pixelproof.api.base import GROUP, PLURAL
from pixelproof.kube import (
    MODELROLLOUTS,
    ApiError,
    ForbiddenError,
    KubeClient,
    NotFoundError,
    Resource,
)
from pixelproof.kube.credentials import connection_from

from .errors import PluginError

WATCH_WINDOW = 300


@dataclass
class Target:
    client: KubeClient
    namespace: str
    server: str

    def get(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call(name, "GET", MODELROLLOUTS.path(self.namespace, name))
        return found

    def list(self, all_namespaces: bool) -> list[dict[str, Any]]:
        path = MODELROLLOUTS.path(None if all_namespaces else self.namespace)
        items: list[dict[str, Any]] = self._call(None, "GET", path).get("items", [])
        return sorted(
            items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
        )

    def read(self, resource: Resource, name: str) -> dict[str, Any] | None:
        """Another object in the namespace; None when it does not exist."""
        try:
            found: dict[str, Any] | None = self.client.get(resource.path(self.namespace, name))
        except ApiError as exc:
            raise self._explain_other(exc, f"{resource.plural} {self.namespace}/{name}") from exc
        except httpx.TransportError as exc:
            raise PluginError(f"cannot reach the API server at {self.server}: {exc}") from exc
        return found

    def list_of(self, resource: Resource, selector: str) -> builtins.list[dict[str, Any]]:
        """Objects of a kind in the namespace by label selector."""
        try:
            return self.client.list(resource.path(self.namespace), selector)
        except ApiError as exc:
            raise self._explain_other(exc, f"{resource.plural} in {self.namespace}") from exc
        except httpx.TransportError as exc:
            raise PluginError(f"cannot reach the API server at {self.server}: {exc}") from exc

    @staticmethod
    def _explain_other(exc: ApiError, what: str) -> PluginError:
        if isinstance(exc, ForbiddenError):
            return PluginError(f"not allowed to read {what}")
        return PluginError(f"{what}: the API server answered {exc.code} {exc.reason}")

    def annotate(self, name: str, annotations: dict[str, str]) -> dict[str, Any]:
        """Merge-patch annotations only: nothing else of the object changes."""
        body = {"metadata": {"annotations": annotations}}
        path = MODELROLLOUTS.path(self.namespace, name)
        patched: dict[str, Any] = self._call(
            name, "PATCH", path, body=body, content_type="application/merge-patch+json"
        )
        return patched

    def watch(self, name: str, deadline: float | None) -> Iterator[dict[str, Any]]:
        """The object now, then each time it changes, until the monotonic deadline (if any)."""
        current = self.get(name)
        yield current
        version = current["metadata"].get("resourceVersion")
        while deadline is None or time.monotonic() < deadline:
            window = (
                WATCH_WINDOW
                if deadline is None
                else max(1, min(WATCH_WINDOW, int(deadline - time.monotonic())))
            )
            params = {
                "fieldSelector": f"metadata.name={name}",
                "resourceVersion": version or "",
                "timeoutSeconds": str(window),
            }
            try:
                # The server may hold a quiet watch past timeoutSeconds: bound the read too.
                for event in self.client.watch(
                    MODELROLLOUTS.path(self.namespace), params, read_timeout=window + 5
                ):
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR" and obj.get("code") == 410:
                        raise ApiError(410, "Expired", str(obj.get("message") or ""))
                    if event.get("type") == "DELETED":
                        raise PluginError(f"modelrollout {self.namespace}/{name} was deleted")
                    if obj.get("metadata", {}).get("name") == name:
                        version = obj["metadata"].get("resourceVersion", version)
                        yield obj
            except ApiError as exc:
                if exc.code != 410:
                    raise self._explain(exc, name) from exc
                current = self.get(name)
                version = current["metadata"].get("resourceVersion")
                yield current
            except httpx.ReadTimeout:
                continue
            except httpx.TransportError as exc:
                raise PluginError(f"lost the API server at {self.server}: {exc}") from exc

    def _call(self, name: str | None, method: str, path: str, **request: Any) -> Any:
        try:
            return self.client.request(method, path, **request)
        except ApiError as exc:
            raise self._explain(exc, name) from exc
        except httpx.TransportError as exc:
            raise PluginError(f"cannot reach the API server at {self.server}: {exc}") from exc

    def _explain(self, exc: ApiError, name: str | None) -> PluginError:
        what = (
            f"modelrollout {self.namespace}/{name}"
            if name
            else f"modelrollouts in {self.namespace}"
        )
        if isinstance(exc, NotFoundError) and name:
            return PluginError(f"{what} not found")
        if isinstance(exc, NotFoundError):
            return PluginError(
                f"the API server at {self.server} does not serve {PLURAL}.{GROUP}: is the pixelproof CRD installed?"
            )
        if isinstance(exc, ForbiddenError):
            return PluginError(f"not allowed to access {what}: {exc.reason} ({exc.code})")
        return PluginError(
            f"{what}: the API server answered {exc.code} {exc.reason}: {exc.message}"
        )


def connect(kubeconfig: str | None, context: str | None, namespace: str | None) -> Target:
    """Credentials from --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the pod's
    service account; the namespace from -n, else the context's, else default."""
    config_file = kubeconfig or os.environ.get("KUBECONFIG") or None
    configuration = kubernetes.client.Configuration()
    context_namespace = None
    try:
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=config_file, context=context, client_configuration=configuration
        )
        contexts, active = kubernetes.config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=config_file
        )
        chosen = active
        if context:
            chosen = next((c for c in contexts if c["name"] == context), active)
        context_namespace = (chosen or {}).get("context", {}).get("namespace")
    except (kubernetes.config.ConfigException, OSError) as exc:
        if kubeconfig or context:
            raise PluginError(
                f"cannot load kubeconfig {config_file or '~/.kube/config'}: {exc}"
            ) from exc
        try:
            kubernetes.config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        except kubernetes.config.ConfigException:
            raise PluginError(
                f"no Kubernetes credentials: cannot load kubeconfig {config_file or '~/.kube/config'} ({exc}) "
                "and not running in a pod"
            ) from exc
    client = KubeClient(connection_from(configuration), timeout=30)
    return Target(
        client=client,
        namespace=namespace or context_namespace or "default",
        server=configuration.host,
    )
