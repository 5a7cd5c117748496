"""The local stack: everything a ModelRollout touches, running on this machine.

``LocalStack`` starts a real Prometheus, the local Kubernetes API with the CRDs, the operator
and an evaluator Job runner. ``add_app`` creates a namespace with a stable generator (a
Deployment and Service in the API, a generator process standing in for its pods) and the
golden set captured from it and calibrated against it (on a local volume; this API serves no PersistentVolumeClaims); ``add_rollout`` adds a candidate generator with optional faults, its Deployment,
Service and HTTPRoute, live traffic through the route, and the ModelRollout."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from pixelproof.api.crd import build_crd
from pixelproof.api.gateset_crd import build_gate_set_crds
from pixelproof.api.status import TERMINAL_PHASES
from pixelproof.kube import EVENTS, MODELROLLOUTS, KubeClient
from pixelproof.running import Running
from pixelproof_localcluster import LocalCluster, LocalProcessDeployments
from pixelproof_refgen.traffic import DEFAULT_PROMPTS

from . import manifests
from .environment import child_environment
from .evaluator_runner import EvaluatorJobRunner
from .generators import GeneratorProcess
from .golden import CLAIM, calibrate_golden_set, write_golden_set
from .golden_preparation import GoldenPreparation
from .image_golden import contract_inputs, write_image_golden_set
from .operator_thread import OperatorThread
from .prerequisites import check_prerequisites
from .prometheus import PrometheusServer
from .traffic import RouteTraffic

logger = logging.getLogger(__name__)

STABLE_DEPLOYMENT = "poster-gen-v1"
STABLE_SERVICE = "poster-gen-stable"
POLL_SECONDS = 0.5


@dataclass
class App:
    """A namespace serving the stable model."""

    namespace: str
    stable: GeneratorProcess
    deployment: str = STABLE_DEPLOYMENT
    service: str = STABLE_SERVICE


@dataclass
class RolloutHandle:
    name: str
    namespace: str
    deployment: str
    service: str
    route: str
    candidate: GeneratorProcess
    traffic: RouteTraffic
    faults: dict[str, Any] = field(default_factory=dict)
    traffic_stopped: bool = False


Condition = Callable[[dict[str, Any]], Any]


class LocalStack(Running):
    def __init__(
        self,
        workdir: Path | None = None,
        *,
        reports_dir: Path | None = None,
        evaluator_slots: int = 2,
        timer_interval: float = 1.0,
        traffic_rate: float = 5.0,
        keep_traffic: bool = False,
        traffic_prompts: Sequence[str] = DEFAULT_PROMPTS,
        task: str = "generate",
    ) -> None:
        """`keep_traffic` keeps each route's traffic flowing after its rollout ends (for
        exploring with kubectl); otherwise it stops, sparing the CPU. `task` is what the
        golden set's items ask for: generate, or upscale or inpaint an input image."""
        self._own_workdir = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="pixelproof-stack-")) if workdir is None else workdir
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.reports_dir = reports_dir or self.workdir / "reports"
        self.golden_dir = self.workdir / "golden"
        self.evaluator_slots = evaluator_slots
        self.timer_interval = timer_interval
        self.traffic_rate = traffic_rate
        self.keep_traffic = keep_traffic
        self.traffic_prompts = tuple(traffic_prompts)
        self.task = task
        self.apps: dict[str, App] = {}
        self.rollouts: list[RolloutHandle] = []
        self.snapshots: dict[tuple[str, str], dict[str, Any]] = {}
        self._services: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._golden: GoldenPreparation | None = None
        self.prometheus: PrometheusServer | None = None
        self.cluster: LocalCluster | None = None
        self.operator: OperatorThread | None = None
        self.kube: KubeClient | None = None
        self.runner: EvaluatorJobRunner | None = None
        self.processes: LocalProcessDeployments | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        check_prerequisites()
        try:
            self.prometheus = PrometheusServer(self.workdir / "prometheus")
            self.prometheus.start()
            self.runner = EvaluatorJobRunner(
                self.resolve,
                self.claim,
                self.reports_dir,
                slots=self.evaluator_slots,
            )
            # Deployments of the evaluator image (the operator's prompt recorders) run as
            # local processes of the real `record` command.
            self.processes = LocalProcessDeployments(
                {manifests.EVALUATOR_IMAGE: []}, env=child_environment()
            )
            self.cluster = LocalCluster(
                job_runner=self.runner,
                deployment_processes=self.processes,
                kubeconfig_path=self.workdir / "kubeconfig",
            )
            self.cluster.start()
            for crd in (build_crd(), *build_gate_set_crds()):
                self.cluster.register_crd(crd)
            self.kube = KubeClient(self.cluster.url)
            self.operator = OperatorThread(
                self.cluster.kubeconfig_path, timer_interval=self.timer_interval
            ).start()
            self._monitor = threading.Thread(target=self._watch, name="stack-monitor", daemon=True)
            self._monitor.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._monitor is not None:
            self._monitor.join(10)
        for handle in self.rollouts:
            self._stop_traffic(handle)
        if self.operator is not None:
            self.operator.stop()
        if self.kube is not None:
            self.kube.close()
        if self.cluster is not None:
            self.cluster.stop()
        for handle in self.rollouts:
            handle.candidate.stop()
        for app in self.apps.values():
            app.stable.stop()
        if self.prometheus is not None:
            self.prometheus.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _cluster(self) -> LocalCluster:
        if self.cluster is None:
            raise RuntimeError("the stack has not started")
        return self.cluster

    def _kube(self) -> KubeClient:
        if self.kube is None:
            raise RuntimeError("the stack has not started")
        return self.kube

    def _prometheus(self) -> PrometheusServer:
        if self.prometheus is None:
            raise RuntimeError("the stack has not started")
        return self.prometheus

    @property
    def kubeconfig_path(self) -> Path:
        return self._cluster().kubeconfig_path

    @property
    def api_url(self) -> str:
        return self._cluster().url

    @property
    def prometheus_url(self) -> str:
        return self._prometheus().url

    # -- services ----------------------------------------------------------------------------

    def resolve(self, namespace: str, service: str) -> str | None:
        """The local URL standing for a Service's cluster address: a generator process, or
        the process of the Deployment the Service is named after (a prompt recorder)."""
        with self._lock:
            found = self._services.get((namespace, service))
        if found is None and self.processes is not None:
            return self.processes.url(namespace, service)
        return found

    def claim(self, namespace: str, name: str) -> Path | None:
        """The local folder of a PersistentVolumeClaim: the golden set's, in every app, once
        it is ready (this blocks until then; GoldenSetNotReady says why it never was)."""
        if name != CLAIM or namespace not in self.apps or self._golden is None:
            return None
        self._golden.wait()
        return self.golden_dir

    def _prepare_golden_set(self, stable_url: str) -> None:
        if self.task == "generate":
            write_golden_set(self.golden_dir, stable_url)
            calibrate_golden_set(self.golden_dir, stable_url)
        else:
            write_image_golden_set(self.golden_dir, stable_url, self.task)

    def _serve(self, namespace: str, service: str, generator: GeneratorProcess) -> None:
        with self._lock:
            self._services[(namespace, service)] = generator.url
        self._prometheus().add_target(
            generator.address, {"namespace": namespace, "service": service}
        )

    # -- apps and rollouts -------------------------------------------------------------------

    def add_app(self, namespace: str, stable_faults: Mapping[str, Any] | None = None) -> App:
        kube = self._kube()
        stable = GeneratorProcess(f"{namespace}-stable", stable_faults)
        app = App(namespace, stable)
        self.apps[namespace] = app
        if self._golden is None:
            self._golden = GoldenPreparation(lambda: self._prepare_golden_set(stable.url)).start()
        kube.create_object(manifests.namespace(namespace))
        kube.create_object(manifests.deployment(app.deployment, namespace, 2, "v1"))
        kube.create_object(manifests.service(app.service, namespace, app.deployment))
        self._serve(namespace, app.service, stable)
        return app

    def add_rollout(
        self,
        app: App,
        name: str,
        faults: Mapping[str, Any] | None = None,
        *,
        deployment: str | None = None,
        steps: list[dict[str, Any]] | None = None,
        quality_gates: dict[str, Any] | None = None,
        metric_gates: list[dict[str, Any]] | None = None,
        generator_timeout_seconds: float = 10,
        live_traffic: dict[str, Any] | None = None,
    ) -> RolloutHandle:
        """A candidate generator with `faults`, its objects, traffic through its own
        HTTPRoute, and the ModelRollout that rolls it out."""
        kube = self._kube()
        namespace = app.namespace
        deployment = deployment or f"{name}-candidate"
        service, route = deployment, name
        candidate = GeneratorProcess(f"{namespace}-{deployment}", faults)
        kube.create_object(manifests.deployment(deployment, namespace, 0, deployment))
        kube.create_object(manifests.service(service, namespace, deployment))
        kube.create_object(manifests.httproute(route, namespace, app.service, service))
        self._serve(namespace, service, candidate)
        traffic = RouteTraffic(
            self._cluster().url,
            namespace,
            route,
            (app.service, app.stable.url),
            (service, candidate.url),
            rate=self.traffic_rate,
            resolve=lambda target: self.resolve(namespace, target),
            prompts=self.traffic_prompts,
        ).start()
        handle = RolloutHandle(
            name, namespace, deployment, service, route, candidate, traffic, dict(faults or {})
        )
        self.rollouts.append(handle)
        kube.create_object(
            manifests.modelrollout(
                name,
                namespace,
                stable=(app.deployment, app.service),
                candidate=(deployment, service),
                route=route,
                prometheus_url=self.prometheus_url,
                steps=steps,
                quality_gates=quality_gates,
                metric_gates=metric_gates,
                generator_timeout_seconds=generator_timeout_seconds,
                live_traffic=live_traffic,
                generator_inputs=None if self.task == "generate" else contract_inputs(self.task),
            )
        )
        return handle

    # -- observing ---------------------------------------------------------------------------

    def rollout(self, handle: RolloutHandle) -> dict[str, Any]:
        found: dict[str, Any] | None = self._kube().get(
            MODELROLLOUTS.path(handle.namespace, handle.name)
        )
        if found is None:
            raise LookupError(f"ModelRollout {handle.namespace}/{handle.name} is gone")
        return found

    def status(self, handle: RolloutHandle) -> dict[str, Any]:
        status: dict[str, Any] = self.rollout(handle).get("status") or {}
        return status

    def wait_for(
        self, handle: RolloutHandle, condition: Condition, timeout: float, what: str
    ) -> dict[str, Any]:
        """Poll the rollout until `condition(status)` holds; the error shows the last status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(handle)
            if condition(status):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{handle.namespace}/{handle.name}: no {what} within {timeout:g}s; "
                    f"phase {status.get('phase')!r}, step {status.get('currentStep')}, "
                    f"message {status.get('message')!r}"
                )
            if self.operator is not None and not self.operator.alive:
                raise RuntimeError("the operator thread has stopped")
            time.sleep(POLL_SECONDS)

    def wait_terminal(self, handle: RolloutHandle, timeout: float) -> dict[str, Any]:
        return self.wait_for(
            handle, lambda s: s.get("phase") in TERMINAL_PHASES, timeout, "terminal phase"
        )

    def events(self, handle: RolloutHandle) -> list[dict[str, Any]]:
        return [
            e
            for e in self._kube().list(EVENTS.path(handle.namespace))
            if (e.get("involvedObject") or {}).get("name") == handle.name
        ]

    def _watch(self) -> None:
        """Keep the latest rollouts for displays, and stop the traffic of finished ones."""
        while not self._stopping.wait(POLL_SECONDS):
            try:
                items = self._kube().list(MODELROLLOUTS.path())
            except Exception:
                logger.debug("listing rollouts failed", exc_info=True)
                continue
            for item in items:
                meta = item["metadata"]
                self.snapshots[(meta["namespace"], meta["name"])] = item
            if self.keep_traffic:
                continue
            for handle in list(self.rollouts):
                snapshot = self.snapshots.get((handle.namespace, handle.name)) or {}
                if (snapshot.get("status") or {}).get("phase") in TERMINAL_PHASES:
                    self._stop_traffic(handle)

    def _stop_traffic(self, handle: RolloutHandle) -> None:
        if not handle.traffic_stopped:
            handle.traffic_stopped = True
            handle.traffic.stop()
