"""The operator running for real against a local cluster: kopf in a thread of the test
process, or a separate process that can be killed."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pixelproof.controller.event_loop import run_on
from pixelproof.controller.main import Operator, OperatorConfig
from pixelproof.controller.reconcile import Reconciler
from pixelproof_demo.environment import child_environment
from pixelproof_localcluster import LocalCluster

from .kube import CRDS, NS
from .polling import wait_for
from .scripted_evaluator import ScriptedEvaluator


@contextmanager
def local_cluster(evaluator: ScriptedEvaluator | None = None) -> Iterator[LocalCluster]:
    with LocalCluster(crd_paths=[CRDS], job_runner=evaluator or ScriptedEvaluator()) as cluster:
        yield cluster


@contextmanager
def operator_in_thread(
    cluster: LocalCluster, *, interval: float = 0.5, **config: Any
) -> Iterator[Operator]:
    """The operator, kopf included, on its own event loop in a thread of the test process,
    watching the test namespace unless `namespaces` are given. An `on_ready` given is
    called with each Reconciler too."""
    from pixelproof.kube import load_connection

    ready: list[Reconciler] = []
    also = config.pop("on_ready", None)

    def on_ready(reconciler: Reconciler) -> None:
        ready.append(reconciler)
        if also is not None:
            also(reconciler)

    config.setdefault("namespaces", [NS])
    settings = OperatorConfig(timer_interval=interval, on_ready=on_ready, **config)
    op = Operator(settings, connection=load_connection(str(cluster.kubeconfig_path)))
    stop = threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        try:
            run_on(settings.event_loop, op.run_async(stop_flag=stop))
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
