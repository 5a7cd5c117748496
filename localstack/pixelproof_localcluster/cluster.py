"""``LocalCluster``: the API server and the stand-in kubelet on a background event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pixelproof.api.base import GROUP, PLURAL
from pixelproof.api.gatesets import GATE_SET_PLURALS
from pixelproof.api.validation import validate_gate_set, validate_modelrollout
from pixelproof.running import Running
from pixelproof_localcluster import admission, faults, kubeconfig
from pixelproof_localcluster.apiserver import LocalApiServer
from pixelproof_localcluster.kubelet import (
    DeploymentController,
    JobController,
    JobRunner,
    LocalProcessDeployments,
)
from pixelproof_localcluster.resources import CRD_GROUP, CRD_PLURAL

T = TypeVar("T")

BUNDLED_CRDS = Path(__file__).parent / "crds"
_START_TIMEOUT = 30.0


def _admit_modelrollout(obj: dict[str, Any]) -> list[str]:
    return validate_modelrollout(obj, operator_checks=False)


# The API server admits a ModelRollout by the CRD's schema and CEL rules, which the models
# carry; the operator's own checks are left to the operator, as in a cluster.
MODELROLLOUT_ADMISSION: admission.Validators = {
    (GROUP, PLURAL): _admit_modelrollout,
    **{(GROUP, plural): validate_gate_set for plural in GATE_SET_PLURALS.values()},
}


class LocalCluster(Running):
    """A Kubernetes API on 127.0.0.1 for tests and demos, with minimal controllers.

    Use as a context manager. Built-in kinds, kopf's peering CRDs and the traffic-routing
    CRDs (Gateway API HTTPRoute, Istio VirtualService, KServe InferenceService) are served
    from the start; more CRDs come from ``crd_paths`` (files or directories of YAML) or
    ``register_crd_file``.
    """

    def __init__(
        self,
        *,
        crd_paths: Iterable[str | Path] = (),
        validators: admission.Validators | None = None,
        job_runner: JobRunner | None = None,
        deployment_ready_delay: float = 0.0,
        deployment_processes: LocalProcessDeployments | None = None,
        port: int = 0,
        kubeconfig_path: str | Path | None = None,
        bundled_crds: bool = True,
    ) -> None:
        self.server = LocalApiServer(validators={**MODELROLLOUT_ADMISSION, **(validators or {})})
        self._crd_paths = [Path(p) for p in crd_paths]
        if bundled_crds:
            self._crd_paths.insert(0, BUNDLED_CRDS)
        self._job_runner = job_runner
        self._ready_delay = deployment_ready_delay
        self.deployment_processes = deployment_processes
        self._port = port
        self._kubeconfig_path = Path(kubeconfig_path) if kubeconfig_path else None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._url: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("This LocalCluster has already been started.")
        self._thread = threading.Thread(target=self._serve, name="localcluster", daemon=True)
        self._thread.start()
        if not self._started.wait(_START_TIMEOUT):
            raise RuntimeError(f"The local API server did not start within {_START_TIMEOUT} s.")
        if self._failure is not None:
            raise RuntimeError("The local API server failed to start.") from self._failure
        try:
            if self._kubeconfig_path is None:
                self._tempdir = tempfile.TemporaryDirectory(prefix="localcluster-")
                self._kubeconfig_path = Path(self._tempdir.name) / "kubeconfig"
            kubeconfig.write_kubeconfig(self._kubeconfig_path, self.url)
            for path in self._crd_paths:
                self.register_crd_file(path)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=_START_TIMEOUT)
        self._loop = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._failure = exc
            self._started.set()

    async def _main(self) -> None:
        from pixelproof_localcluster.servers import LoopbackServer

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        deployments = DeploymentController(
            self.server.store, ready_delay=self._ready_delay, processes=self.deployment_processes
        )
        jobs = JobController(self.server.store, self._job_runner)
        async with self.server, LoopbackServer(self.server, port=self._port) as http:
            self._url = f"http://{http.host}:{http.port}"
            deployments.start()
            jobs.start()
            self._started.set()
            await self._stop.wait()
            self.server.store.close()
            await jobs.stop()
            await deployments.stop()

    # -- access ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("The LocalCluster is not running.")
        return self._url

    @property
    def kubeconfig_path(self) -> Path:
        if self._kubeconfig_path is None or self._url is None:
            raise RuntimeError("The LocalCluster is not running.")
        return self._kubeconfig_path

    def client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` for this cluster (the default config is untouched)."""
        return kubeconfig.api_client(self.kubeconfig_path)

    def kopf_environment(self) -> contextlib.AbstractContextManager[None]:
        """Within it, kopf's default login handlers and ``kubernetes`` find this cluster."""
        return kubeconfig.kopf_environment(self.kubeconfig_path)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the server's loop, e.g. to read ``self.server.store``."""
        if self._loop is None:
            raise RuntimeError("The LocalCluster is not running.")

        async def invoke() -> T:
            return fn(*args)

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(
            invoke(), self._loop
        )
        return future.result(timeout=_START_TIMEOUT)

    def inject_faults(
        self,
        verbs: Iterable[str] = faults.VERBS,
        codes: Iterable[int] = (409, 429, 500, 503),
        share: float = 0.5,
        seconds: float = 30.0,
        resources: Iterable[str] | None = None,
    ) -> None:
        """For `seconds`, answer `share` of the requests of `verbs` (of `resources`, plural
        names; None: all) with one of `codes`, and cut open watch streams when "watch" is
        among the verbs."""
        chosen = None if resources is None else list(resources)
        self.call(self.server.faults.inject, list(verbs), list(codes), share, seconds, chosen)

    def silence_watches(self, resources: Iterable[str] | None = None) -> None:
        """The watch streams of `resources` (plurals; None: all) open now stay open but
        deliver nothing more; streams opened later are served."""
        self.call(
            self.server.faults.silence_watches, None if resources is None else list(resources)
        )

    def clear_faults(self) -> None:
        self.call(self.server.faults.clear)

    def open_watches(self, group: str, plural: str) -> int:
        """Watch streams open now on a kind (`group` "" for the core group): a client that
        watches from "now" sees a change made after its stream opened, not before."""

        def count() -> int:
            spec = self.server.registry.find(group, plural)
            return 0 if spec is None else self.server.store.watching(spec)

        return self.call(count)

    # -- custom resources --------------------------------------------------------------------

    def register_crd(self, crd: dict[str, Any]) -> dict[str, Any]:
        """Store a CRD (creating or replacing it); its kind is served once this returns."""
        spec = self.server.registry.get(CRD_GROUP, "v1", CRD_PLURAL)
        assert spec is not None
        store = self.server.store
        name = (crd.get("metadata") or {}).get("name")

        def upsert() -> dict[str, Any]:
            if name and store.find(spec, None, name) is not None:
                return store.replace(spec, None, name, crd)
            return store.create(spec, None, crd)

        return self.call(upsert)

    def register_crd_file(self, path: str | Path) -> list[str]:
        """Register every CRD in a YAML file, or in the *.yaml/*.yml files of a directory."""
        path = Path(path)
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
        names: list[str] = []
        for file in files:
            for document in _crd_documents(file):
                names.append(self.register_crd(document)["metadata"]["name"])
        return names


def _crd_documents(file: Path) -> Iterator[dict[str, Any]]:
    if not file.exists():
        raise FileNotFoundError(f"CRD file not found: {file}")
    for document in yaml.safe_load_all(file.read_text()):
        if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
            yield document
