"""Runs evaluator Jobs as local processes of the real evaluator: the stand-in for a GPU node.

The Job's container command is run as written, with what only a cluster provides mapped to
this machine: in-cluster Service URLs (http://SERVICE.NAMESPACE.svc:PORT) become the URLs
of the local generator processes that stand for those Services, the golden set's
PersistentVolumeClaim is a local folder (as a local-path provisioner would give), and
/reports is a folder per Job. A fixed number of slots stands for the node's GPUs: a pod
waits Pending for a free one, as it would wait for a GPU."""

from __future__ import annotations

import asyncio
import copy
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pixelproof.evaluation.job import GOLDEN_MOUNT, REPORTS_MOUNT
from pixelproof_localcluster import LocalProcessJobRunner, PodOutcome, Terminated, Waiting

from .environment import PYTHON, child_environment
from .golden_preparation import GoldenSetNotReady

ServiceResolver = Callable[[str, str], str | None]
"""(namespace, service) -> base URL of the local process serving it, or None."""
ClaimResolver = Callable[[str, str], Path | None]
"""(namespace, claim name) -> the local folder holding the claim's volume, or None; it may
block until the volume is ready, and raise GoldenSetNotReady when it never will be."""

_SERVICE_URL = re.compile(
    r"^http://(?P<service>[a-z0-9-]+)\.(?P<namespace>[a-z0-9-]+)\.svc(?:\.cluster\.local)?"
    r"(?::\d+)?(?P<path>/.*)?$"
)


def rewrite_service_url(arg: str, resolve: ServiceResolver) -> str:
    match = _SERVICE_URL.match(arg)
    if match is None:
        return arg
    local = resolve(match["namespace"], match["service"])
    if local is None:
        return arg
    return local.rstrip("/") + (match["path"] or "")


def _rewrite_mount(arg: str, mount: str, local: Path) -> str:
    if arg == mount:
        return str(local)
    if arg.startswith(mount + "/"):
        return str(local / arg[len(mount) + 1 :])
    return arg


class EvaluatorJobRunner:
    """A ``JobRunner`` for the local cluster. ``reports_root/NAMESPACE/JOB`` keeps each Job's
    report after its pod is gone."""

    def __init__(
        self,
        resolve: ServiceResolver,
        claims: ClaimResolver,
        reports_root: Path,
        *,
        slots: int = 2,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.resolve = resolve
        self.claims = claims
        self.reports_root = reports_root
        self.slots = slots
        threads = str(max(1, (os.cpu_count() or 1) // slots))
        self.env = child_environment({"OMP_NUM_THREADS": threads, **(env or {})})
        self._semaphore: asyncio.Semaphore | None = None

    def reports_dir(self, namespace: str, job: str) -> Path:
        return self.reports_root / namespace / job

    async def __call__(self, pod: dict[str, Any], started: Callable[[], None]) -> PodOutcome:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        meta = pod.get("metadata") or {}
        namespace = meta.get("namespace", "default")
        job = (meta.get("labels") or {}).get("job-name") or meta.get("name", "pod")
        try:
            # A claim may block until its volume is ready: off the event loop.
            golden = await asyncio.to_thread(self._golden_folder, pod, namespace)
        except GoldenSetNotReady as exc:
            return Terminated(1, "Error", f"the golden set could not be mounted: {exc}")
        if isinstance(golden, Waiting):
            return golden
        async with self._semaphore:
            reports = self.reports_dir(namespace, job)
            reports.mkdir(parents=True, exist_ok=True)
            local_pod = self._localise(pod, golden, reports)
            image = local_pod["spec"]["containers"][0].get("image", "")
            runner = LocalProcessJobRunner({image: []}, env=self.env, cwd=reports)
            return await runner(local_pod, started)

    def _golden_folder(self, pod: dict[str, Any], namespace: str) -> Path | Waiting:
        """The local folder behind the volume mounted at /golden, as a kubelet would mount it."""
        spec = pod.get("spec") or {}
        mounts = (spec.get("containers") or [{}])[0].get("volumeMounts") or []
        mount = next((m for m in mounts if m.get("mountPath") == GOLDEN_MOUNT), None)
        volume = next(
            (v for v in spec.get("volumes") or [] if mount and v.get("name") == mount["name"]),
            None,
        )
        claim = ((volume or {}).get("persistentVolumeClaim") or {}).get("claimName")
        if claim is None:
            return Waiting(
                "CreateContainerConfigError",
                "this local node mounts golden sets from a PersistentVolumeClaim only",
            )
        folder = self.claims(namespace, claim)
        if folder is None:
            return Waiting("ContainerCreating", f'persistentvolumeclaim "{claim}" not found')
        return folder / mount["subPath"] if mount and mount.get("subPath") else folder

    def _localise(self, pod: dict[str, Any], golden: Path, reports: Path) -> dict[str, Any]:
        local = copy.deepcopy(pod)
        container = local["spec"]["containers"][0]
        for key in ("command", "args"):
            args = list(container.get(key) or [])
            for i, arg in enumerate(args):
                arg = rewrite_service_url(arg, self.resolve)
                arg = _rewrite_mount(arg, GOLDEN_MOUNT, golden)
                args[i] = _rewrite_mount(arg, REPORTS_MOUNT, reports)
            if args and key == "command" and args[0] in ("python", "python3"):
                args[0] = PYTHON
            if args:
                container[key] = args
        return local
