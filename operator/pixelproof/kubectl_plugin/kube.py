"""The plugin's connection to the cluster: kubeconfig, context and namespace as kubectl picks them."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException

from pixelproof.api.base import GROUP, PLURAL, VERSION
from pixelproof.errors import PixelproofError

MERGE_PATCH = "application/merge-patch+json"
WATCH_WINDOW = 300


class PluginError(PixelproofError):
    """A failure the user can act on; the message names the object or setting at fault."""


@dataclass
class Target:
    api: kubernetes.client.CustomObjectsApi
    namespace: str
    server: str

    def get(self, name: str) -> dict[str, Any]:
        try:
            found = cast(
                dict[str, Any],
                self.api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name),
            )
        except ApiException as exc:
            raise self._explain(exc, name) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise PluginError(f"cannot reach the API server at {self.server}: {exc}") from exc
        return found

    def list(self, all_namespaces: bool) -> list[dict[str, Any]]:
        try:
            if all_namespaces:
                listed: Any = self.api.list_cluster_custom_object(GROUP, VERSION, PLURAL)
            else:
                listed = self.api.list_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL
                )
        except ApiException as exc:
            raise self._explain(exc, None) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise PluginError(f"cannot reach the API server at {self.server}: {exc}") from exc
        items: list[dict[str, Any]] = listed.get("items", [])
        return sorted(
            items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
        )

    def annotate(self, name: str, annotations: dict[str, str]) -> dict[str, Any]:
        """Merge-patch annotations only: nothing else of the object changes."""
        body = {"metadata": {"annotations": annotations}}
        try:
            patched = cast(
                dict[str, Any],
                self.api.patch_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, name, body, _content_type=MERGE_PATCH
                ),
            )
        except ApiException as exc:
            raise self._explain(exc, name) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise PluginError(f"cannot reach the API server at {self.server}: {exc}") from exc
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
            watcher = kubernetes.watch.Watch()  # type: ignore[no-untyped-call]
            try:
                for event in watcher.stream(  # type: ignore[no-untyped-call]
                    self.api.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self.namespace,
                    PLURAL,
                    field_selector=f"metadata.name={name}",
                    resource_version=version,
                    timeout_seconds=window,
                    # The server may hold a quiet watch past timeoutSeconds: bound the read too.
                    _request_timeout=window + 5,
                ):
                    obj = event["object"]
                    if event["type"] == "DELETED":
                        raise PluginError(f"modelrollout {self.namespace}/{name} was deleted")
                    if isinstance(obj, dict) and obj.get("metadata", {}).get("name") == name:
                        version = obj["metadata"].get("resourceVersion", version)
                        yield obj
            except ApiException as exc:
                if exc.status != 410:
                    raise self._explain(exc, name) from exc
                current = self.get(name)
                version = current["metadata"].get("resourceVersion")
                yield current
            except urllib3.exceptions.ReadTimeoutError:
                continue
            except urllib3.exceptions.HTTPError as exc:
                raise PluginError(f"lost the API server at {self.server}: {exc}") from exc
            finally:
                watcher.stop()  # type: ignore[no-untyped-call]

    def _explain(self, exc: ApiException, name: str | None) -> PluginError:
        what = (
            f"modelrollout {self.namespace}/{name}"
            if name
            else f"modelrollouts in {self.namespace}"
        )
        if exc.status == 404 and name:
            return PluginError(f"{what} not found")
        if exc.status == 404:
            return PluginError(
                f"the API server at {self.server} does not serve {PLURAL}.{GROUP}: is the pixelproof CRD installed?"
            )
        if exc.status in (401, 403):
            return PluginError(f"not allowed to access {what}: {exc.reason} ({exc.status})")
        return PluginError(f"{what}: the API server answered {exc.status} {exc.reason}: {exc.body}")


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
    configuration.retries = 1
    api = kubernetes.client.CustomObjectsApi(kubernetes.client.ApiClient(configuration))
    return Target(
        api=api, namespace=namespace or context_namespace or "default", server=configuration.host
    )
