"""Deployments whose image maps to a local command run as a real local process: the
stand-in for a node running one pod of them (the prompt recorder, for instance).

A pod has its own network namespace, so every pod may listen on the same containerPort;
here they share the machine's. Each process is given a free local port in place of its
first containerPort (the value after a ``--port`` argument equal to it), and ``url()``
names where it listens. The Deployment reports ready only once the container's
readinessProbe (an httpGet) answers 2xx, and unready again if the process exits, which
starts it again after a pause, as restartPolicy Always would. Deleting the Deployment, or
scaling it to zero, stops the process. An emptyDir volume is a scratch folder that lives
as long as the pod; arguments naming its mountPath name that folder instead."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)

RESTART_DELAY_S = 1.0
PROBE_EVERY_S = 0.1

Key = tuple[str | None, str]
StatusWriter = Callable[[dict[str, Any], int], None]
"""(the Deployment as stored, ready replicas) -> write its status."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _container(obj: Mapping[str, Any]) -> dict[str, Any]:
    template = (obj.get("spec") or {}).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or [{}]
    found: dict[str, Any] = containers[0]
    return found


def empty_dirs(obj: Mapping[str, Any]) -> list[str]:
    """Mount paths of the container's emptyDir volumes."""
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    scratch = {v.get("name") for v in pod.get("volumes") or [] if "emptyDir" in v}
    mounts = _container(obj).get("volumeMounts") or []
    return [m["mountPath"] for m in mounts if m.get("name") in scratch]


def _localised(arg: str, mounts: Mapping[str, str]) -> str:
    for mount, local in mounts.items():
        if arg == mount or arg.startswith(mount.rstrip("/") + "/"):
            return local + arg[len(mount) :]
    return arg


def local_argv(
    container: Mapping[str, Any],
    prefix: Sequence[str],
    port: int,
    mounts: Mapping[str, str] | None = None,
) -> list[str]:
    """The container's command and args after `prefix`, its `--port` moved to `port` and
    paths under `mounts` (mountPath -> local folder) moved to their folders."""
    argv = [*(container.get("command") or []), *(container.get("args") or [])]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    declared = [str(p.get("containerPort")) for p in container.get("ports") or []]
    for i in range(len(argv) - 1):
        if argv[i] == "--port" and argv[i + 1] in declared[:1]:
            argv[i + 1] = str(port)
    return [*prefix, *(_localised(arg, mounts or {}) for arg in argv)]


@dataclass
class _Pod:
    generation: int
    task: asyncio.Task[None]
    url: str


class LocalProcessDeployments:
    def __init__(
        self,
        images: Mapping[str, Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``images`` maps an image to the argv prefix standing for its entry point (empty:
        the container's command runs as written). ``env`` is added to every process."""
        self.images = {image: list(argv) for image, argv in images.items()}
        self.env = dict(env or {})
        self._pods: dict[Key, _Pod] = {}

    def handles(self, obj: Mapping[str, Any]) -> bool:
        return _container(obj).get("image") in self.images

    def url(self, namespace: str, name: str) -> str | None:
        """Where the Deployment's process listens, while it runs."""
        pod = self._pods.get((namespace, name))
        return pod.url if pod is not None else None

    def sync(self, obj: dict[str, Any], deleted: bool, write: StatusWriter) -> None:
        """Start, restart (a new generation) or stop the Deployment's process."""
        meta = obj["metadata"]
        key: Key = (meta.get("namespace"), meta["name"])
        generation = int(meta.get("generation", 1))
        replicas = int((obj.get("spec") or {}).get("replicas", 1))
        current = self._pods.get(key)
        wanted = not deleted and replicas > 0
        if current is not None and (not wanted or current.generation != generation):
            current.task.cancel()
            del self._pods[key]
            current = None
        if not wanted:
            if not deleted:
                write(obj, 0)
            return
        if current is None:
            port = free_port()
            task = asyncio.get_running_loop().create_task(self._run(obj, port, write))
            self._pods[key] = _Pod(generation, task, f"http://127.0.0.1:{port}")

    async def stop(self) -> None:
        pods, self._pods = list(self._pods.values()), {}
        for pod in pods:
            pod.task.cancel()
        for pod in pods:
            with contextlib.suppress(asyncio.CancelledError):
                await pod.task

    async def _run(self, obj: dict[str, Any], port: int, write: StatusWriter) -> None:
        with tempfile.TemporaryDirectory(prefix="localcluster-pod-") as scratch:
            mounts = {}
            for index, mount in enumerate(empty_dirs(obj)):
                mounts[mount] = os.path.join(scratch, str(index))
                os.mkdir(mounts[mount])
            await self._keep_running(obj, port, mounts, write)

    async def _keep_running(
        self, obj: dict[str, Any], port: int, mounts: Mapping[str, str], write: StatusWriter
    ) -> None:
        container = _container(obj)
        argv = local_argv(container, self.images[container["image"]], port, mounts)
        replicas = int((obj.get("spec") or {}).get("replicas", 1))
        while True:
            write(obj, 0)
            try:
                process = await asyncio.create_subprocess_exec(
                    *argv,
                    env={**os.environ, **self.env},
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            except OSError as exc:
                logger.error(
                    "Deployment %s: cannot start %r: %s", obj["metadata"]["name"], argv[0], exc
                )
                await asyncio.sleep(RESTART_DELAY_S)
                continue
            try:
                if await self._probe(container, port, process):
                    write(obj, replicas)
                await process.wait()
                logger.warning(
                    "Deployment %s: process exited with %s; restarting",
                    obj["metadata"]["name"],
                    process.returncode,
                )
            finally:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.terminate()
                    await process.wait()
            await asyncio.sleep(RESTART_DELAY_S)

    async def _probe(
        self, container: Mapping[str, Any], port: int, process: asyncio.subprocess.Process
    ) -> bool:
        """Poll the readinessProbe until it passes (True) or the process exits (False)."""
        get = (container.get("readinessProbe") or {}).get("httpGet") or {}
        url = f"http://127.0.0.1:{port}{get.get('path', '/')}"
        async with httpx.AsyncClient(timeout=1.0) as client:
            while process.returncode is None:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).is_success:
                        return True
                await asyncio.sleep(PROBE_EVERY_S)
        return False
