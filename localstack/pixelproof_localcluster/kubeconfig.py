"""Kubeconfig files and client configurations pointing at a local API server.

The ``kubernetes`` package reads ``$KUBECONFIG`` once, at import. To aim it at a local
server, load the written file into a fresh configuration (``client_configuration``)
instead of relying on the environment; ``kopf_environment`` does the same for kopf's
default login handlers, which consult both ``$KUBECONFIG`` and the import-time default.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

CONTEXT = "localcluster"


def kubeconfig_document(url: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url}}],
        # The local server does not authenticate; a token keeps clients from prompting.
        "users": [{"name": CONTEXT, "user": {"token": CONTEXT}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, url: str, namespace: str = "default") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig_document(url, namespace), sort_keys=False))
    return path


def client_configuration(kubeconfig_path: Path) -> Any:
    """A fresh ``kubernetes.client.Configuration`` for the kubeconfig (the default is untouched)."""
    import kubernetes

    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig_path), client_configuration=configuration
    )
    return configuration


def api_client(kubeconfig_path: Path) -> Any:
    import kubernetes

    return kubernetes.client.ApiClient(client_configuration(kubeconfig_path))


@contextlib.contextmanager
def kopf_environment(kubeconfig_path: Path) -> Iterator[None]:
    """Point ``$KUBECONFIG`` and the ``kubernetes`` import-time default at the file."""
    from kubernetes.config import kube_config

    saved_env = os.environ.get("KUBECONFIG")
    saved_default = kube_config.KUBE_CONFIG_DEFAULT_LOCATION
    os.environ["KUBECONFIG"] = str(kubeconfig_path)
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(kubeconfig_path)
    try:
        yield
    finally:
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = saved_default
        if saved_env is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = saved_env
