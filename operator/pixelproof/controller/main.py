"""The operator process: `pixelproof operator ...` lands in main(); tests and embedders call run()."""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import kopf

from pixelproof import telemetry
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.engine.observations import MetricSample
from pixelproof.metrics.sampler import Sampler
from pixelproof.notifications import webhook_notifier

from .credentials import Connection, load_connection
from .handlers import register_handlers
from .kube import KubeApi, RequestObserver
from .reconcile import Reconciler

logger = logging.getLogger(__name__)

FINALIZER = "pixelproof.dev/finalizer"
KOPF_PREFIX = "kopf.pixelproof.dev"
DEFAULT_TIMER_INTERVAL = 5.0


@dataclass
class OperatorConfig:
    namespaces: Sequence[str] = ()
    """Namespaces to watch (glob patterns allowed); empty means all namespaces."""
    peering: str | None = None
    """kopf peering name: operators sharing it elect one to act. None runs standalone."""
    priority: int = 0
    timer_interval: float = DEFAULT_TIMER_INTERVAL
    metrics_port: int | None = None
    liveness_endpoint: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    peering_lifetime: int = 60
    request_observer: RequestObserver | None = None
    on_ready: Callable[[Reconciler], None] | None = field(default=None)


def _event_poster(rollout: dict[str, Any], kind: str, reason: str, message: str) -> None:
    # kopf reads only apiVersion, kind and metadata of the object it is given.
    kopf.event(cast(kopf.Body, rollout), type=kind, reason=reason, message=message[:1024])


def _sampler_in_thread(sampler: Sampler) -> Callable[..., Any]:
    async def sample(
        spec: ModelRolloutSpec, status: Mapping[str, Any], namespace: str, now: datetime
    ) -> tuple[MetricSample, ...]:
        # Metric providers are blocking HTTP clients: keep them off the event loop.
        return await asyncio.to_thread(sampler.sample, spec, status, namespace, now)

    return sample


class Operator:
    """One operator: kopf's registry and settings, and the Reconciler its handlers call."""

    def __init__(self, config: OperatorConfig, connection: Connection | None = None) -> None:
        self.config = config
        self.connection = connection or load_connection(config.kubeconfig, config.context)
        self.registry = kopf.OperatorRegistry()
        self._reconciler: Reconciler | None = None
        self._sampler: Sampler | None = None
        register_handlers(self.registry, self.reconciler, config.timer_interval)
        self._register_lifecycle()

    def reconciler(self) -> Reconciler:
        if self._reconciler is None:
            raise RuntimeError("the operator has not started")
        return self._reconciler

    def _register_lifecycle(self) -> None:
        @kopf.on.login(registry=self.registry)
        def login(**_: Any) -> kopf.ConnectionInfo:
            return self.connection.for_kopf()

        @kopf.on.startup(registry=self.registry)
        async def startup(**_: Any) -> None:
            self._sampler = Sampler()
            api = KubeApi(self.connection, observer=self.config.request_observer)
            self._reconciler = Reconciler(
                api,
                _event_poster,
                sampler=_sampler_in_thread(self._sampler),
                notifier=webhook_notifier(api.read_secret),
            )
            if self.config.on_ready is not None:
                self.config.on_ready(self._reconciler)

        @kopf.on.cleanup(registry=self.registry)
        async def cleanup(**_: Any) -> None:
            if self._reconciler is not None:
                await self._reconciler.close()
            if self._sampler is not None:
                self._sampler.close()

    def settings(self) -> kopf.OperatorSettings:
        settings = kopf.OperatorSettings()
        # Rollout state lives in .status, written by the engine alone; kopf keeps its own
        # bookkeeping in annotations under a prefix of ours.
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX)
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix=KOPF_PREFIX, key="last-handled-configuration"
        )
        settings.persistence.finalizer = FINALIZER
        settings.peering.lifetime = self.config.peering_lifetime
        settings.posting.level = logging.INFO
        settings.networking.request_timeout = 60
        settings.watching.server_timeout = 300
        return settings

    async def run_async(
        self,
        stop_flag: asyncio.Event | threading.Event | None = None,
        ready_flag: asyncio.Event | threading.Event | None = None,
    ) -> None:
        config = self.config
        if config.metrics_port is not None:
            telemetry.start_metrics_server(config.metrics_port)
        await kopf.operator(
            registry=self.registry,
            settings=self.settings(),
            clusterwide=not config.namespaces,
            namespaces=list(config.namespaces),
            standalone=config.peering is None,
            peering_name=config.peering,
            priority=config.priority,
            liveness_endpoint=config.liveness_endpoint,
            stop_flag=stop_flag,
            ready_flag=ready_flag,
        )


def run(
    namespaces: Sequence[str] = (),
    peering: str | None = None,
    priority: int = 0,
    timer_interval: float = DEFAULT_TIMER_INTERVAL,
    metrics_port: int | None = None,
    *,
    liveness_endpoint: str | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    peering_lifetime: int = 60,
    stop_flag: threading.Event | None = None,
    ready_flag: threading.Event | None = None,
) -> None:
    """Run the operator until stopped (a signal, or `stop_flag` set from another thread)."""
    config = OperatorConfig(
        namespaces=namespaces,
        peering=peering,
        priority=priority,
        timer_interval=timer_interval,
        metrics_port=metrics_port,
        liveness_endpoint=liveness_endpoint,
        kubeconfig=kubeconfig,
        context=context,
        peering_lifetime=peering_lifetime,
    )
    asyncio.run(Operator(config).run_async(stop_flag=stop_flag, ready_flag=ready_flag))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pixelproof operator",
        description="Run the ModelRollout operator.",
    )
    p.add_argument(
        "--namespace",
        "-n",
        action="append",
        default=[],
        help="namespace to watch (repeatable, globs allowed); all namespaces if unset",
    )
    p.add_argument(
        "--peering",
        default=None,
        help="kopf peering name: replicas sharing it elect one to act (HA)",
    )
    p.add_argument(
        "--priority",
        type=int,
        default=0,
        help="peering priority; the highest-priority live operator acts",
    )
    p.add_argument(
        "--peering-lifetime", type=int, default=60, help="seconds a silent peer counts as alive"
    )
    p.add_argument(
        "--kubeconfig",
        default=None,
        help="kubeconfig file; in-cluster credentials or $KUBECONFIG when unset",
    )
    p.add_argument("--context", default=None, help="kubeconfig context")
    p.add_argument(
        "--timer-interval",
        type=float,
        default=DEFAULT_TIMER_INTERVAL,
        help="seconds between reconciles of each rollout",
    )
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve the operator's Prometheus metrics on this port",
    )
    p.add_argument(
        "--liveness",
        default=None,
        metavar="URL",
        help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz",
    )
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    run(
        namespaces=args.namespace,
        peering=args.peering,
        priority=args.priority,
        timer_interval=args.timer_interval,
        metrics_port=args.metrics_port,
        liveness_endpoint=args.liveness,
        kubeconfig=args.kubeconfig,
        context=args.context,
        peering_lifetime=args.peering_lifetime,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
