"""The real kubectl against a LocalCluster, with `kubectl pixelproof` installed the way
kubectl finds plugins: executables named kubectl-pixelproof (and kubectl's completion
hook kubectl_complete-pixelproof) on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pixelproof.kube import NAMESPACES, KubeClient
from pixelproof_localcluster import LocalCluster

from .charts import REPO

CHART_CRD = REPO / "charts" / "pixelproof" / "files" / "crds" / "modelrollouts.pixelproof.dev.yaml"


def install_plugin(bin_dir: Path, kubectl: Path | None = None) -> None:
    """The plugin (and kubectl itself, when given) as executables in `bin_dir`."""
    plugin = bin_dir / "kubectl-pixelproof"
    plugin.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pixelproof.kubectl_plugin "$@"\n')
    hook = bin_dir / "kubectl_complete-pixelproof"
    hook.write_text('#!/bin/sh\nexec kubectl-pixelproof __complete "$@"\n')
    for path in (plugin, hook):
        path.chmod(0o755)
    if kubectl is not None:
        (bin_dir / "kubectl").symlink_to(kubectl)


def kubectl_env(cluster: LocalCluster, bin_dir: Path, home: Path) -> dict[str, str]:
    """PATH with `bin_dir` first, the worktree's code, the cluster's kubeconfig, and a fresh
    HOME (kubectl caches discovery and OpenAPI under ~/.kube/cache); NO_COLOR unset."""
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return environ | {
        "PATH": os.pathsep.join([str(bin_dir), os.environ["PATH"]]),
        "PYTHONPATH": os.pathsep.join([str(REPO / "operator"), os.environ.get("PYTHONPATH", "")]),
        "KUBECONFIG": str(cluster.kubeconfig_path),
        "HOME": str(home),
    }


def run(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    stdin: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@contextmanager
def client_with_namespaces(cluster: LocalCluster, *namespaces: str) -> Iterator[KubeClient]:
    client = KubeClient(cluster.url)
    for namespace in namespaces:
        client.create(NAMESPACES.path(), {"metadata": {"name": namespace}})
    try:
        yield client
    finally:
        client.close()
