"""Run a Job's container as a local subprocess: the stand-in for a container runtime.

The image is mapped to a local argv prefix (its entry point), followed by the
container's command and args. The container's env is passed on top of this process's
environment. The termination message is a real file: ``PIXELPROOF_TERMINATION_LOG``
names it, and it is the container's terminationMessagePath when that is set to
something other than the Kubernetes default (which is not writable here).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from pixelproof.api.evaluator_invocation import TERMINATION_LOG_ENV
from pixelproof_localcluster.kubelet.outcomes import PodOutcome, Terminated, Unschedulable, Waiting

DEFAULT_TERMINATION_PATH = "/dev/termination-log"
# Kubernetes truncates termination messages to 4096 bytes, and log fallbacks to 2048.
_MESSAGE_LIMIT = 4096
_LOG_FALLBACK_LIMIT = 2048


def _requested_resources(container: Mapping[str, Any]) -> set[str]:
    resources = container.get("resources") or {}
    return set(resources.get("requests") or {}) | set(resources.get("limits") or {})


def _env(pod: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, str]:
    meta = pod.get("metadata") or {}
    fields = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
    }
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif field := ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath"):
            env[item["name"]] = str(fields.get(field, ""))
    return env


class LocalProcessJobRunner:
    def __init__(
        self,
        images: Mapping[str, Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        unschedulable_resources: Collection[str] = (),
    ) -> None:
        """
        ``images`` maps an image reference to the argv prefix standing in for its entry point;
        an unmapped image leaves the pod in ImagePullBackOff. ``env`` is added to every
        process. A container that requests any of ``unschedulable_resources`` (for example
        "nvidia.com/gpu") leaves its pod Pending and unschedulable.
        """
        self.images = {image: list(argv) for image, argv in images.items()}
        self.env = dict(env or {})
        self.cwd = cwd
        self.unschedulable_resources = set(unschedulable_resources)

    async def __call__(self, pod: dict[str, Any], started: Callable[[], None]) -> PodOutcome:
        container = ((pod.get("spec") or {}).get("containers") or [{}])[0]
        missing = _requested_resources(container) & self.unschedulable_resources
        if missing:
            return Unschedulable(
                f"0/1 nodes are available: 1 Insufficient {', '.join(sorted(missing))}."
            )
        image = container.get("image", "")
        prefix = self.images.get(image)
        if prefix is None:
            return Waiting("ImagePullBackOff", f'Back-off pulling image "{image}"')
        argv = [*prefix, *(container.get("command") or []), *(container.get("args") or [])]
        with tempfile.TemporaryDirectory(prefix="localcluster-pod-") as scratch:
            termination_path = self._termination_path(container, Path(scratch))
            env = {
                **os.environ,
                **self.env,
                **_env(pod, container),
                TERMINATION_LOG_ENV: str(termination_path),
            }
            return await self._run(argv, env, container, termination_path, started)

    @staticmethod
    def _termination_path(container: Mapping[str, Any], scratch: Path) -> Path:
        declared = container.get("terminationMessagePath") or DEFAULT_TERMINATION_PATH
        path = (
            scratch / "termination-log" if declared == DEFAULT_TERMINATION_PATH else Path(declared)
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        return path

    async def _run(
        self,
        argv: list[str],
        env: dict[str, str],
        container: Mapping[str, Any],
        termination_path: Path,
        started: Callable[[], None],
    ) -> PodOutcome:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                env=env,
                cwd=self.cwd,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except OSError as exc:
            return Waiting("RunContainerError", f"cannot start {argv[0]!r}: {exc}")
        started()
        try:
            output, _ = await process.communicate()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise
        returncode = process.returncode if process.returncode is not None else await process.wait()
        # A process killed by signal N exits with 128+N inside a container.
        exit_code = returncode if returncode >= 0 else 128 - returncode
        message = termination_path.read_bytes()[:_MESSAGE_LIMIT].decode("utf-8", "replace")
        policy = container.get("terminationMessagePolicy", "File")
        if not message and exit_code != 0 and policy == "FallbackToLogsOnError":
            message = output[-_LOG_FALLBACK_LIMIT:].decode("utf-8", "replace")
        return Terminated(exit_code, message=message)
