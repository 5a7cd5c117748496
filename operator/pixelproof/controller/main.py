"""The operator process: `pixelproof operator ...` lands in main(); tests and embedders call run()."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import Field, dataclass, field, fields
from datetime import datetime
from typing import Any

import kopf

from pixelproof import telemetry
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.engine.event_reasons import omission_problems
from pixelproof.engine.observations import MetricSample
from pixelproof.evaluation.policy import EvaluatorPolicy
from pixelproof.kube import Connection, KubeApi, ObjectCache, RequestObserver, load_connection
from pixelproof.kube.reflector import WatchTimeouts
from pixelproof.metrics.addresses import AddressAllowList
from pixelproof.metrics.sampler import Sampler
from pixelproof.notifications import webhook_notifier

from .event_loop import DEFAULT_EVENT_LOOP, EVENT_LOOPS, check_event_loop, run_on
from .events import EventRecorder
from .handlers import GATE_SET_HANDLERS, TICK, register_handlers
from .kopf_log import quiet_successes
from .policy import RolloutPolicy
from .reconcile import Clock, Reconciler, utc_now
from .supervise import supervise, until_kopf_returns
from .watches import (
    KOPF_PREFIX,
    ROLLOUTS_HANDLER,
    KindWatches,
    WatchActivity,
    Watched,
    cache_from,
    register_watches,
)

logger = logging.getLogger(__name__)

FINALIZER = "pixelproof.dev/finalizer"
DEFAULT_TIMER_INTERVAL = 5.0
# kopf retries 429s, 5xx and dropped connections on every request it makes with these
# pauses (about two minutes in all) before it gives up on the request.
API_ERROR_BACKOFFS = (1, 1, 2, 3, 5, 8, 13, 21, 30, 30)
EVENT_FLUSH_SECONDS = 10.0
INSTANCE_LABEL = "pixelproof.dev/instance-id"
"""Which operator instance acts on a rollout; the default instance takes those without it."""
INSTANCE_FINALIZER_PREFIX = "finalizers.pixelproof.dev/"
_LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def finalizer_of(instance_id: str | None) -> str:
    """The finalizer an instance keeps on its rollouts. kopf removes its finalizer from
    every object no handler of its own matches: instances sharing one name would strip
    each other's, and re-add their own, without end."""
    return f"{INSTANCE_FINALIZER_PREFIX}{instance_id}" if instance_id else FINALIZER


def _option(
    *flags: str, help: str, env: str | None = None, **argparse_options: Any
) -> dict[str, Any]:
    """A config field's command-line option, as dataclass field metadata. With `env`, the
    variable supplies the default (a repeatable option's values comma- or space-separated)."""
    return {"flags": flags, "help": help, "env": env, **argparse_options}


def _allow_list(flag: str, env: str, metavar: str, what: str) -> dict[str, Any]:
    """A repeatable option limiting what rollouts may ask for; unset, it allows anything."""
    return _option(
        flag,
        action="append",
        env=env,
        metavar=metavar,
        help=f"{what} (repeatable); anything if unset",
    )


@dataclass
class OperatorConfig:
    """Everything an operator is configured with. A field with an option is on the command
    line too: the parser, its help and the defaults all come from here."""

    namespaces: Sequence[str] = field(
        default=(),
        metadata=_option(
            "--namespace",
            "-n",
            action="append",
            help="namespace to watch (repeatable, globs allowed); all namespaces if unset",
        ),
    )
    peering: str | None = field(
        default=None,
        metadata=_option(
            "--peering", help="kopf peering name: replicas sharing it elect one to act (HA)"
        ),
    )
    priority: int = field(
        default=0,
        metadata=_option(
            "--priority", type=int, help="peering priority; the highest-priority live operator acts"
        ),
    )
    instance_id: str | None = field(
        default=None,
        metadata=_option(
            "--instance-id",
            help=f"act only on rollouts labelled {INSTANCE_LABEL} with this value; "
            "unset, only on rollouts without the label",
        ),
    )
    peering_lifetime: int = field(
        default=60,
        metadata=_option(
            "--peering-lifetime", type=int, help="seconds a silent peer counts as alive"
        ),
    )
    kubeconfig: str | None = field(
        default=None,
        metadata=_option(
            "--kubeconfig", help="kubeconfig file; in-cluster credentials or $KUBECONFIG when unset"
        ),
    )
    context: str | None = field(
        default=None, metadata=_option("--context", help="kubeconfig context")
    )
    timer_interval: float = field(
        default=DEFAULT_TIMER_INTERVAL,
        metadata=_option(
            "--timer-interval", type=float, help="seconds between reconciles of each rollout"
        ),
    )
    metrics_port: int | None = field(
        default=None,
        metadata=_option(
            "--metrics-port", type=int, help="serve the operator's Prometheus metrics on this port"
        ),
    )
    liveness_endpoint: str | None = field(
        default=None,
        metadata=_option(
            "--liveness", metavar="URL", help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz"
        ),
    )
    watch_server_timeout: float = field(
        default=60.0,
        metadata=_option(
            "--watch-server-timeout",
            type=float,
            help="seconds the API server keeps a watch open before the operator opens it again",
        ),
    )
    watch_client_timeout: float = field(
        default=90.0,
        metadata=_option(
            "--watch-client-timeout",
            type=float,
            help="seconds after which the operator drops a watch stream itself, however "
            "quiet or stuck the server keeps it",
        ),
    )
    watch_connect_timeout: float = field(
        default=10.0,
        metadata=_option(
            "--watch-connect-timeout", type=float, help="seconds to open a watch stream"
        ),
    )
    watch_silence_limit: float = field(
        default=180.0,
        metadata=_option(
            "--watch-silence-limit",
            type=float,
            help="liveness fails when a watch delivered neither the operator's own write "
            "nor any other event for this many seconds",
        ),
    )
    freeze_namespace: str | None = field(
        default=None,
        metadata=_option(
            "--freeze-namespace",
            help="namespace whose pixelproof.dev/freeze ConfigMaps freeze every rollout",
        ),
    )
    allowed_metric_addresses: Sequence[str] = field(
        default=(),
        metadata=_allow_list(
            "--allowed-metric-address",
            "PIXELPROOF_ALLOWED_METRIC_ADDRESSES",
            "URL_OR_HOST_PORT",
            "metric provider address rollouts may name: a URL prefix such as "
            "http://prometheus.monitoring.svc:9090, or host:port",
        ),
    )
    evaluator_service_accounts: Sequence[str] = field(
        default=(),
        metadata=_allow_list(
            "--evaluator-service-accounts",
            "PIXELPROOF_EVALUATOR_SERVICE_ACCOUNTS",
            "NAME",
            "ServiceAccount evaluator Jobs may run as (an unset "
            "spec.evaluator.serviceAccountName is 'default')",
        ),
    )
    evaluator_image_prefixes: Sequence[str] = field(
        default=(),
        metadata=_allow_list(
            "--evaluator-image-prefixes",
            "PIXELPROOF_EVALUATOR_IMAGE_PREFIXES",
            "PREFIX",
            "registry or repository evaluator images must come from, e.g. "
            "ghcr.io/pixelproof/pixelproof-evaluator",
        ),
    )
    omit_events: Sequence[str] = field(
        default=(),
        metadata=_option(
            "--omit-event",
            action="append",
            env="PIXELPROOF_OMIT_EVENTS",
            metavar="REASON",
            help="reason of Normal Events not to post, e.g. WeightsSet (repeatable): status "
            "still says it; Warnings are always posted",
        ),
    )
    event_loop: str = field(
        default=DEFAULT_EVENT_LOOP,
        metadata=_option(
            "--event-loop",
            env="PIXELPROOF_EVENT_LOOP",
            choices=EVENT_LOOPS,
            help="event loop to run on: uvloop (the standard library's when uvloop is not "
            "installed) or asyncio, the standard library's",
        ),
    )
    request_observer: RequestObserver | None = None
    clock: Clock = utc_now
    """What the engine takes for now; tests move it."""
    on_ready: Callable[[Reconciler], None] | None = None

    def rollout_labels(self) -> dict[str, Any]:
        """The label filter of the rollouts this instance acts on."""
        if not self.instance_id:
            return {INSTANCE_LABEL: kopf.ABSENT}
        return {INSTANCE_LABEL: self.instance_id}

    def policy(self) -> RolloutPolicy:
        if self.instance_id and not _LABEL_VALUE.fullmatch(self.instance_id):
            raise ValueError(
                f"--instance-id {self.instance_id!r} is not a label value: up to 63 letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit"
            )
        problems = omission_problems(tuple(self.omit_events))
        if problems:
            raise ValueError(f"--omit-event: {'; '.join(problems)}")
        # argparse checks the option's choices, not a default from $PIXELPROOF_EVENT_LOOP.
        check_event_loop(self.event_loop)
        return RolloutPolicy(
            metric_addresses=AddressAllowList(self.allowed_metric_addresses),
            evaluator=EvaluatorPolicy(
                service_accounts=tuple(self.evaluator_service_accounts),
                image_prefixes=tuple(self.evaluator_image_prefixes),
            ),
        )


def _is_set(flag: asyncio.Event | threading.Event | None) -> bool:
    return flag is not None and flag.is_set()


def _sampler_in_thread(sampler: Sampler) -> Callable[..., Any]:
    async def sample(
        spec: ModelRolloutSpec, status: Mapping[str, Any], namespace: str, now: datetime
    ) -> tuple[MetricSample, ...]:
        # Metric providers are blocking HTTP clients: keep them off the event loop.
        return await asyncio.to_thread(sampler.sample, spec, status, namespace, now)

    return sample


class Operator:
    """One operator: kopf's registry and settings, the Reconciler its handlers call, and
    what outlives a restart of kopf: the API client and the queue of Events to post."""

    def __init__(self, config: OperatorConfig, connection: Connection | None = None) -> None:
        self.config = config
        self.connection = connection or load_connection(config.kubeconfig, config.context)
        # Built before kopf starts, so a malformed allow-list entry fails the process at once.
        self.policy = config.policy()
        self.registry = kopf.OperatorRegistry()
        self.api: KubeApi | None = None
        self.events: EventRecorder | None = None
        self.activity = WatchActivity(config.watch_silence_limit)
        self.watched = Watched()
        self._kopf_stopping: asyncio.Event | None = None
        labels = config.rollout_labels()
        register_handlers(self.registry, config.timer_interval, labels, self.watched.gate_set_users)

        def cache() -> ObjectCache | None:
            return self.api.cache if self.api else None

        register_watches(self.registry, labels, self.activity, cache, self.watched)
        self.kinds = KindWatches(
            tuple(config.namespaces),
            self.activity,
            cache,
            WatchTimeouts(
                server=config.watch_server_timeout,
                client=config.watch_client_timeout,
                connect=config.watch_connect_timeout,
            ),
        )
        # kopf logs each call of an event handler.
        quiet_successes([ROLLOUTS_HANDLER, *GATE_SET_HANDLERS], [TICK])
        self._register_lifecycle()

    def _register_lifecycle(self) -> None:
        @kopf.on.login(registry=self.registry)
        def login(**_: Any) -> kopf.ConnectionInfo:
            return self.connection.for_kopf()

        # kopf runs startup handlers before any resource handler and copies this memo into
        # every resource's: the handlers find the Reconciler there, built once it can log in.
        @kopf.on.startup(registry=self.registry)
        async def startup(memo: kopf.Memo, **_: Any) -> None:
            assert self.api is not None and self.events is not None, "started by run_async"
            await self.kinds.settled()
            # kopf lists the rollouts afresh each time it starts: a new cache over them.
            self.watched.clear()
            self.api.cache = cache_from(self.kinds, self.watched, tuple(self.config.namespaces))
            memo.sampler = Sampler()
            memo.reconciler = Reconciler(
                self.api,
                self.events.post,
                sampler=_sampler_in_thread(memo.sampler),
                notifier=webhook_notifier(self.api.read_secret),
                clock=self.config.clock,
                freeze_namespace=self.config.freeze_namespace,
                policy=self.policy,
                omit_events=frozenset(self.config.omit_events),
            )
            if self.config.on_ready is not None:
                self.config.on_ready(memo.reconciler)

        @kopf.on.probe(registry=self.registry, id="watches")
        async def watches(**_: Any) -> dict[str, Any]:
            cache = self.api.cache if self.api is not None else None
            silent = self.activity.silent(cache) if cache is not None else []
            if silent:
                logger.error("liveness failing: %s", "; ".join(silent))
                # Permanent: kopf would otherwise retry the probe later, and answer nothing.
                raise kopf.PermanentError("; ".join(silent))
            return {"unseenWrites": sum(1 for _ in cache.unseen_writes()) if cache else 0}

        # kopf runs its clean-up activities as it begins to stop, for whatever reason.
        @kopf.on.cleanup(registry=self.registry)
        async def cleanup(memo: kopf.Memo, **_: Any) -> None:
            if self._kopf_stopping is not None:
                self._kopf_stopping.set()
            if self.api is not None:
                self.api.cache = None
            if "reconciler" in memo:
                memo.reconciler.stop()
            if "sampler" in memo:
                memo.sampler.close()

    def settings(self) -> kopf.OperatorSettings:
        settings = kopf.OperatorSettings()
        # Rollout state lives in .status, written by the engine alone; kopf keeps a retried
        # handler's progress in annotations under a prefix of ours, and its record of the
        # last handled spec in this process.
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX)
        settings.persistence.diffbase_storage = self.watched.handled
        settings.persistence.finalizer = finalizer_of(self.config.instance_id)
        settings.peering.lifetime = self.config.peering_lifetime
        # kopf posts its handler log as Events on the rollout: at INFO that is a Normal
        # "Handler 'reconcile' succeeded" and "... is processed" for every change, two
        # POSTs that say nothing the engine's Events do not. Its warnings and errors (a
        # handler failing, retried) are still posted.
        settings.posting.level = logging.WARNING
        settings.networking.request_timeout = 60
        settings.networking.error_backoffs = API_ERROR_BACKOFFS
        # A watch stream can stay open and deliver nothing (a dead load balancer, a wedged
        # API server): the client's own limit ends it however the server behaves.
        settings.watching.server_timeout = self.config.watch_server_timeout
        settings.watching.client_timeout = self.config.watch_client_timeout
        settings.watching.connect_timeout = self.config.watch_connect_timeout
        # kopf arms a SIGKILL, ten minutes on, whenever it stops without its stop flag set:
        # after a restart below that would kill a healthy operator. A pod that hangs on
        # exit is still ended by its terminationGracePeriodSeconds.
        settings.process.ultimate_exiting_timeout = None
        return settings

    async def run_async(
        self,
        stop_flag: asyncio.Event | threading.Event | None = None,
        ready_flag: asyncio.Event | threading.Event | None = None,
        on_stuck: Callable[[], None] = lambda: None,
    ) -> None:
        """Run kopf, and run it again when an API outage ends it, until a signal or
        `stop_flag` stops it. `on_stuck` is called if kopf will not stop, cancelled or not
        (`run` ends the process there)."""
        config = self.config
        if config.metrics_port is not None:
            telemetry.start_metrics_server(config.metrics_port)
        self.api = KubeApi(self.connection, observer=config.request_observer)
        self.kinds.start(self.api)
        self.events = EventRecorder(self.api)
        if config.omit_events:
            logger.info("not posting Normal Events of: %s", ", ".join(sorted(config.omit_events)))
        # Started before kopf, so kopf's clean-up of the tasks it leaves behind spares it.
        recorder = asyncio.create_task(self.events.run(), name="pixelproof event recorder")

        async def once() -> None:
            self._kopf_stopping = asyncio.Event()
            kopf_run = asyncio.create_task(
                kopf.operator(
                    registry=self.registry,
                    settings=self.settings(),
                    clusterwide=not config.namespaces,
                    namespaces=list(config.namespaces),
                    standalone=config.peering is None,
                    peering_name=config.peering,
                    priority=config.priority,
                    liveness_endpoint=config.liveness_endpoint,
                    memo=kopf.Memo(),
                    stop_flag=stop_flag,
                    ready_flag=ready_flag,
                ),
                name="kopf",
            )
            await until_kopf_returns(kopf_run, self._kopf_stopping, on_stuck)

        try:
            restarts = await supervise(once, lambda: _is_set(stop_flag))
            if restarts:
                logger.info("stopping; kopf was started again %d times on API failures", restarts)
        finally:
            await self.events.flush(EVENT_FLUSH_SECONDS)
            recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recorder
            await self.kinds.stop()
            await self.api.close()


def run(
    config: OperatorConfig,
    *,
    stop_flag: threading.Event | None = None,
    ready_flag: threading.Event | None = None,
) -> None:
    """Run the operator until stopped (a signal, or `stop_flag` set from another thread)."""
    operator = Operator(config)
    run_on(
        config.event_loop,
        operator.run_async(stop_flag=stop_flag, ready_flag=ready_flag, on_stuck=_exit),
    )


EXIT_STUCK = 70


def _exit() -> None:
    # kopf's tasks would not end: nothing in this process can start it again, and leaving
    # the event loop would wait on them too. Ended, the pod is restarted with fresh watches.
    logger.error("exiting: kopf would not stop")
    logging.shutdown()
    os._exit(EXIT_STUCK)


def _options() -> list[Field[Any]]:
    return [f for f in fields(OperatorConfig) if "flags" in f.metadata]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pixelproof operator",
        description="Run the ModelRollout operator.",
    )
    for option in _options():
        extra = dict(option.metadata)
        flags, env = extra.pop("flags"), extra.pop("env")
        # append collects into a fresh list; the field's tuple default stays untouched.
        default = [] if extra.get("action") == "append" else option.default
        if env is not None:
            extra["help"] += f"; also ${env}"
            if os.environ.get(env):
                # argparse appends given options to a copy of the default: both count.
                values = [v for v in re.split(r"[,\s]+", os.environ[env]) if v]
                default = values if extra.get("action") == "append" else os.environ[env]
        extra.setdefault("metavar", flags[0].lstrip("-").replace("-", "_").upper())
        p.add_argument(*flags, dest=option.name, default=default, **extra)
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def main(argv: Sequence[str] | None = None) -> int:
    options = parser()
    args = options.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = OperatorConfig(**{option.name: getattr(args, option.name) for option in _options()})
    try:
        config.policy()
    except ValueError as exc:
        options.error(str(exc))
    run(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
