"""Test helpers: a LocalCluster populated like a real namespace, the operator running for
real against it (kopf in a thread, or a separate process), and waits on conditions."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pixelproof.api.evaluation import EvaluationSummary, GateVerdict
from pixelproof.controller.main import Operator, OperatorConfig
from pixelproof.controller.reconcile import Reconciler
from pixelproof.kube import KubeClient
from pixelproof_demo.environment import child_environment
from pixelproof_localcluster import LocalCluster, PodOutcome, Terminated
from pixelproof_localcluster.polling import wait_for

REPO = Path(__file__).resolve().parents[2]
CRD_FILE = REPO / "crds" / "modelrollouts.pixelproof.dev.yaml"
NS = "imagegen"
ROLLOUTS = f"/apis/pixelproof.dev/v1alpha1/namespaces/{NS}/modelrollouts"
HTTPROUTES = f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes"
VIRTUALSERVICES = f"/apis/networking.istio.io/v1/namespaces/{NS}/virtualservices"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NS}/deployments"
SERVICES = f"/api/v1/namespaces/{NS}/services"
CONFIGMAPS = f"/api/v1/namespaces/{NS}/configmaps"
JOBS = f"/apis/batch/v1/namespaces/{NS}/jobs"
EVENTS = f"/api/v1/namespaces/{NS}/events"


class Kube(KubeClient):
    """The shared blocking client, with the reads and writes these tests repeat."""

    def rollout(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"{ROLLOUTS}/{name}")
        return found

    def status(self, name: str) -> dict[str, Any]:
        return (self.get(f"{ROLLOUTS}/{name}") or {}).get("status") or {}

    def annotate(self, name: str, key: str, value: str) -> None:
        self.patch(f"{ROLLOUTS}/{name}", {"metadata": {"annotations": {key: value}}})

    def events(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.list(EVENTS) if e["involvedObject"].get("name") == name]

    def wait_for_events(
        self, name: str, *reasons: str, timeout: float = 10
    ) -> list[dict[str, Any]]:
        """The rollout's Events once all `reasons` are among them (kopf posts in the background)."""

        def found() -> list[dict[str, Any]] | None:
            events = self.events(name)
            return events if set(reasons) <= {e["reason"] for e in events} else None

        events: list[dict[str, Any]] = wait_for(found, timeout, f"Events {', '.join(reasons)}")
        return events


def deployment(name: str, replicas: int, app: str = "poster-gen") -> dict[str, Any]:
    labels = {"app": app, "version": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "generator", "image": f"gen:{name}"}]},
            },
        },
    }


def service(name: str, selector: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def httproute(name: str = "poster-gen") -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "parentRefs": [{"name": "public-gateway"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/generate"}}],
                    "backendRefs": [
                        {"name": "poster-stable", "port": 80, "weight": 100},
                        {"name": "poster-candidate", "port": 80, "weight": 0},
                    ],
                }
            ],
        },
    }


def virtualservice(name: str = "poster-gen") -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "hosts": ["poster-gen.imagegen.svc.cluster.local"],
            "http": [
                {
                    "name": "primary",
                    "route": [
                        {
                            "destination": {"host": "poster-stable.imagegen.svc.cluster.local"},
                            "weight": 100,
                        },
                        {"destination": {"host": "poster-candidate"}, "weight": 0},
                    ],
                }
            ],
        },
    }


def seed_namespace(kube: Kube, router: str = "gatewayAPI", *, route: bool = True) -> None:
    kube.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    )
    stable_replicas = 4 if router == "replicas" else 3
    kube.create(DEPLOYMENTS, deployment("poster-v1", stable_replicas))
    kube.create(DEPLOYMENTS, deployment("poster-v2", 0))
    if router == "replicas":
        kube.create(SERVICES, service("poster-stable", {"app": "poster-gen"}))
        kube.create(SERVICES, service("poster-candidate", {"version": "poster-v2"}))
    else:
        kube.create(SERVICES, service("poster-stable", {"version": "poster-v1"}))
        kube.create(SERVICES, service("poster-candidate", {"version": "poster-v2"}))
    kube.create(
        CONFIGMAPS,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "poster-golden", "namespace": NS},
            "data": {"golden.yaml": "items: []\n"},
        },
    )
    if route and router == "gatewayAPI":
        kube.create(HTTPROUTES, httproute())
    if route and router == "istio":
        kube.create(VIRTUALSERVICES, virtualservice())


EVALUATED_STEPS = [
    {"setWeight": 10},
    {"evaluate": {}},
    {"setWeight": 50},
    {"pause": {"duration": "1s"}},
    {"setWeight": 100},
]
"""Every step kind and an evaluation: the rollout the process-level tests run."""

TRAFFIC = {
    "gatewayAPI": {"gatewayAPI": {"httpRoute": "poster-gen"}},
    "istio": {"istio": {"virtualService": "poster-gen"}},
    "replicas": {"replicas": {"totalReplicas": 4}},
}


def rollout(
    name: str = "poster-gen",
    router: str = "gatewayAPI",
    steps: list[dict[str, Any]] | None = None,
    **spec_extra: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "stable": {"deployment": "poster-v1", "service": "poster-stable"},
        "candidate": {"deployment": "poster-v2", "service": "poster-candidate", "replicas": 2},
        "traffic": TRAFFIC[router],
        "steps": steps
        if steps is not None
        else [
            {"setWeight": 10},
            {"evaluate": {}},
            {"setWeight": 50},
            {"pause": {"duration": "1s"}},
        ],
        "goldenSet": {"configMap": {"name": "poster-golden"}},
        "evaluator": {
            "image": "registry.example/pixelproof-evaluator:0.1.0",
            "resources": {"limits": {"nvidia.com/gpu": 1}},
            "pendingDeadlineSeconds": 10,
            "activeDeadlineSeconds": 60,
        },
        "progressDeadlineSeconds": 120,
    }
    spec.update(spec_extra)
    return {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def summary(verdict: str, reason: str = "") -> str:
    """What the real evaluator writes to its termination message."""
    gates = [
        GateVerdict(
            name="lpips",
            verdict=verdict,
            value=0.08 if verdict == "pass" else 0.41,
            threshold="<= 0.25",
        )
    ]
    return EvaluationSummary(
        verdict=verdict,
        reason=reason or f"evaluation {verdict}",  # type: ignore[arg-type]
        gates=gates,
        scores={"lpips.mean": 0.08},
        items=12,
    ).to_termination_message()


class ScriptedEvaluator:
    """Stands in for the evaluator container, which needs a GPU and generator Services that
    cannot run here: each pod ends with the outcome the test chose for its step and attempt
    (default: a passing summary), after `delay` seconds of "evaluating"."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.scripts: dict[int, list[PodOutcome]] = {}
        self.pods: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def script(self, step: int, *outcomes: PodOutcome) -> None:
        """The next runs for `step` end with these outcomes, in order; later runs pass."""
        self.scripts.setdefault(step, []).extend(outcomes)

    async def __call__(self, pod: dict[str, Any], started: Callable[[], None]) -> PodOutcome:
        labels = pod["metadata"].get("labels") or {}
        step = int(labels.get("pixelproof.dev/step", 0))
        with self.lock:
            self.pods.append(pod)
            queued = self.scripts.get(step) or []
            outcome = queued.pop(0) if queued else Terminated(0, message=summary("pass"))
        if isinstance(outcome, Terminated):
            started()
            await asyncio.sleep(self.delay)
        return outcome


class WeightLog:
    """Every state of the router's weights as stored, recorded by the API server itself."""

    def __init__(self, cluster: LocalCluster, plural: str = "httproutes") -> None:
        self.plural = plural
        self.states: list[tuple[int, int]] = []
        self._replicas: dict[str, int] = {}
        cluster.call(cluster.server.store.add_listener, self._on_event)

    def _on_event(self, spec: Any, event: Any) -> None:
        if spec.plural != self.plural or event.type == "DELETED":
            return
        obj = event.object
        if self.plural == "httproutes":
            refs = obj["spec"]["rules"][0]["backendRefs"]
            self.states.append((refs[0].get("weight", 1), refs[1].get("weight", 1)))
        elif self.plural == "virtualservices":
            route = obj["spec"]["http"][0]["route"]
            self.states.append((route[0].get("weight", 0), route[1].get("weight", 0)))
        else:
            self._replicas[obj["metadata"]["name"]] = int(obj["spec"].get("replicas", 1))
            pods = (self._replicas.get("poster-v1", 0), self._replicas.get("poster-v2", 0))
            if not self.states or self.states[-1] != pods:
                self.states.append(pods)

    @property
    def candidate_weights(self) -> list[int]:
        return [c for _, c in self.states]


@contextmanager
def local_cluster(evaluator: ScriptedEvaluator | None = None) -> Iterator[LocalCluster]:
    with LocalCluster(crd_paths=[CRD_FILE], job_runner=evaluator or ScriptedEvaluator()) as cluster:
        yield cluster


@contextmanager
def operator_in_thread(
    cluster: LocalCluster, *, interval: float = 0.5, **config: Any
) -> Iterator[Operator]:
    """The operator, kopf included, on its own event loop in a thread of the test process."""
    from pixelproof.kube import load_connection

    ready: list[Reconciler] = []
    settings = OperatorConfig(
        namespaces=[NS], timer_interval=interval, on_ready=ready.append, **config
    )
    op = Operator(settings, connection=load_connection(str(cluster.kubeconfig_path)))
    stop = threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(op.run_async(stop_flag=stop))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=main, name="operator", daemon=True)
    thread.start()
    wait_for(lambda: ready or failure, 30, "the operator to start")
    if failure:
        raise failure[0]
    try:
        yield op
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the operator did not stop"


class OperatorProcess:
    """The operator as its own OS process, as it runs in a pod: can be SIGKILLed."""

    def __init__(self, cluster: LocalCluster, *extra: str, interval: float = 0.5) -> None:
        self.args = [
            sys.executable,
            "-m",
            "pixelproof.controller.main",
            "--kubeconfig",
            str(cluster.kubeconfig_path),
            "--namespace",
            NS,
            "--timer-interval",
            str(interval),
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = b""

    def start(self) -> OperatorProcess:
        env = child_environment()
        self.proc = subprocess.Popen(
            self.args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        out, _ = self.proc.communicate(timeout=10)
        self.log += out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                out, _ = self.proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, _ = self.proc.communicate()
            self.log += out
