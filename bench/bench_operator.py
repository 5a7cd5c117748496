"""Operator throughput: N concurrent rollouts on one operator process.

Runs the real operator (kopf and all) against the local API server with N ModelRollouts
at once, each with its own Deployments, Services and HTTPRoute, and an evaluate step
whose Job a stand-in runner passes (the evaluator needs a GPU). Reports, for reconciles
that moved a rollout to another step, latency p50/p95; the operator's API requests per
step, as its own client counts them and as the API server counts every request of the
operator process by client (pixelproof's, and kopf's watches, lists, patches and Events);
resident memory; the lines it logs, at INFO to a file as in a pod. The baseline is the
same rollout alone, in the same run. The rollouts are created once the operator's watches
have delivered every object seeded, as for an operator that has been running; the
start-up until then is reported on its own line.

The local API server runs in a child process so that it does not share the operator's
GIL; it is still a Python server on the same two cores, so latencies under load are an
upper bound of what the operator would show against a real API server.

    python bench/bench_operator.py --rollouts 100
    python bench/bench_operator.py --rollouts 100 --profile 25   # cProfile of the operator
    python bench/bench_operator.py --rollouts 100 --against /path/to/older/checkout
    python bench/bench_operator.py --rollouts 100 --omit-event WeightsSet --omit-event ...
    python bench/bench_operator.py --rollouts 1000 --interval 5 --compare-loops
    python bench/bench_operator.py --rollouts 1000 --interval 5 --spread 60

Created at once, the rollouts move in lockstep: every step is a wave of N reconciles, and
the wait for a reconcile slot is that wave's backlog. --spread creates them over a window
instead, as rollouts of a fleet start, so that the wait is the steady state's.

With --omit-event, the waves run again on an operator that omits those Normal Events, in a
process and API server of their own, and its requests per step are printed beside the
first wave's.

The operator runs on uvloop, as `pixelproof operator` does; --event-loop asyncio runs it
on the standard library's loop instead. --compare-loops runs the same waves again on the
other loop, in a process of their own with an API server of their own, and prints the
ratio. (A wave run after another in one process meets an API server holding both waves'
rollouts, and is slower for it.)

With --against, the same waves run first on another checkout's operator (this file, its
code on the path instead), and the ratios new / old are printed: on a shared machine only
numbers from the same run compare.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp.web
import httpx

from pixelproof.api.crd import CRD_DIR
from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.controller.main import Operator, OperatorConfig
from pixelproof.controller.reconcile import Reconciler, ReconcileRecord
from pixelproof.kube import load_connection
from pixelproof_demo.manifests import deployment, httproute, service
from pixelproof_localcluster import LocalCluster, PodOutcome, Terminated
from pixelproof_localcluster.apiserver import LocalApiServer

NS = "bench"
RESULT = "RESULT "
LOOPS = ("uvloop", "asyncio")
STEPS = [{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 50}, {"setWeight": 100}]


async def passing_evaluator(pod: dict[str, Any], started: Callable[[], None]) -> PodOutcome:
    started()
    await asyncio.sleep(0.5)
    return Terminated(
        0, message=EvaluationSummary(verdict="Pass", reason="ok").to_termination_message()
    )


class PodLog(logging.FileHandler):
    """The operator process's log as a pod's: every line formatted, written and counted."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1
        super().emit(record)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(http: httpx.Client, count: int, prefix: str) -> None:
    for i in range(count):
        name = f"{prefix}{i}"
        objects = [
            ("/apis/apps/v1", "deployments", deployment(f"{name}-v1", NS, 2, "v1")),
            ("/apis/apps/v1", "deployments", deployment(f"{name}-v2", NS, 0, "v2")),
            ("/api/v1", "services", service(f"{name}-stable", NS, f"{name}-v1")),
            ("/api/v1", "services", service(f"{name}-candidate", NS, f"{name}-v2")),
            (
                "/apis/gateway.networking.k8s.io/v1",
                "httproutes",
                httproute(name, NS, f"{name}-stable", f"{name}-candidate"),
            ),
        ]
        for prefix_path, plural, body in objects:
            http.post(f"{prefix_path}/namespaces/{NS}/{plural}", json=body).raise_for_status()
    http.post(
        f"/api/v1/namespaces/{NS}/configmaps",
        json={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{prefix}golden", "namespace": NS},
            "data": {"golden.yaml": "items: []\n"},
        },
    ).raise_for_status()


def create_rollouts(http: httpx.Client, count: int, prefix: str, spread: float = 0.0) -> None:
    """`count` rollouts, as fast as the API server takes them, or the i-th of them at
    i/count of `spread` seconds from now."""
    begun = time.monotonic()
    for i in range(count):
        ahead = begun + spread * i / count - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        name = f"{prefix}{i}"
        http.post(
            f"/apis/pixelproof.dev/v1alpha1/namespaces/{NS}/modelrollouts",
            json={
                "apiVersion": "pixelproof.dev/v1alpha1",
                "kind": "ModelRollout",
                "metadata": {"name": name, "namespace": NS},
                "spec": {
                    "stable": {"deployment": f"{name}-v1", "service": f"{name}-stable"},
                    "candidate": {"deployment": f"{name}-v2", "service": f"{name}-candidate"},
                    "traffic": {"gatewayAPI": {"httpRoute": name}},
                    "steps": STEPS,
                    "goldenSet": {"configMap": {"name": f"{prefix}golden"}},
                    "evaluator": {"image": "evaluator:bench"},
                },
            },
        ).raise_for_status()


def phases(http: httpx.Client, prefix: str) -> Counter[str]:
    items = http.get(f"/apis/pixelproof.dev/v1alpha1/namespaces/{NS}/modelrollouts").json()["items"]
    return Counter(
        (i.get("status") or {}).get("phase", "None")
        for i in items
        if i["metadata"]["name"].startswith(prefix)
    )


def client_of(user_agent: str) -> str:
    """Which part of the operator process sent a request, by its User-Agent."""
    if user_agent.startswith("pixelproof-operator"):
        return "pixelproof"
    return "kopf" if user_agent.startswith("kopf/") else "other"


def count_requests(counts: Counter[str], lock: threading.Lock) -> None:
    """Count every request the local API server answers, by client, verb and kind. The
    server class is wrapped, not changed, so that an older checkout's server counts too."""
    answer = LocalApiServer.__call__

    async def counted(
        self: LocalApiServer, raw: aiohttp.web.BaseRequest
    ) -> aiohttp.web.StreamResponse:
        watch = raw.query.get("watch") in ("true", "1")
        verb = "WATCH" if watch else raw.method
        key = f"{client_of(raw.headers.get('User-Agent', ''))} {verb} {kind_of(raw.path)}"
        with lock:
            counts[key] += 1
        return await answer(self, raw)

    LocalApiServer.__call__ = counted  # type: ignore[method-assign,assignment]


def serve_cluster() -> None:
    """Child process: the local API server with the stand-in evaluator, until stdin closes;
    each line `counts` on stdin is answered with the requests counted so far, as JSON."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    count_requests(counts, lock)
    with LocalCluster(crd_paths=[CRD_DIR], job_runner=passing_evaluator) as cluster:
        print(cluster.url, cluster.kubeconfig_path, flush=True)
        for line in sys.stdin:
            if line.strip() == "counts":
                with lock:
                    print(json.dumps(dict(counts)), flush=True)


def kind_of(path: str) -> str:
    """The resource (and subresource) a request path names, without namespace or name."""
    parts = path.strip("/").split("/")
    if parts[0] not in ("api", "apis"):
        return path
    rest = parts[2 if parts[0] == "api" else 3 :]
    if not rest:
        return "discovery"
    if rest[0] == "namespaces" and len(rest) > 2:
        rest = rest[2:]
    return "/".join(rest[:1] + rest[2:3])


ServerCounts = Callable[[], Counter[str]]


def run_wave(
    kubeconfig: str,
    server_counts: ServerCounts,
    http: httpx.Client,
    count: int,
    prefix: str,
    interval: float,
    timeout: float,
    log: PodLog,
    profile: int = 0,
    omit_events: tuple[str, ...] = (),
    event_loop: str = LOOPS[0],
    spread: float = 0.0,
) -> dict[str, Any]:
    records: list[ReconcileRecord] = []
    requests: Counter[str] = Counter()
    ready: list[Reconciler] = []

    def observe(method: str, path: str, params: Mapping[str, str]) -> None:
        requests[f"{method} {kind_of(path)}"] += 1

    succeeded_at: dict[str, float] = {}

    def record(r: ReconcileRecord) -> None:
        records.append(r)
        if r.written and r.phase == "Succeeded":
            succeeded_at.setdefault(r.name, time.perf_counter())

    def on_ready(reconciler: Reconciler) -> None:
        reconciler.listeners.append(record)
        ready.append(reconciler)

    seed(http, count, prefix)
    counted_before = server_counts()
    rss_before = rss_mib()
    config = OperatorConfig(
        namespaces=[NS],
        timer_interval=interval,
        request_observer=observe,
        on_ready=on_ready,
        omit_events=omit_events,
    )
    operator = Operator(config, connection=load_connection(kubeconfig))
    stop = threading.Event()
    profiler = cProfile.Profile() if profile else None

    def operate() -> None:
        # cProfile sees only the thread that enables it: the operator's.
        if profiler is not None:
            profiler.enable()
        try:
            with asyncio.Runner(loop_factory=_loop_factory(event_loop)) as runner:
                runner.run(operator.run_async(stop_flag=stop))
        finally:
            if profiler is not None:
                profiler.disable()

    thread = threading.Thread(target=operate, daemon=True)
    thread.start()
    while not ready:
        time.sleep(0.05)
    caught_up = caught_up_with(http, operator, timeout)
    counted_ready = server_counts()
    startup_requests = sum((counted_ready - counted_before).values())
    requests.clear()
    lines_before = log.lines
    started = time.perf_counter()
    create_rollouts(http, count, prefix, spread)
    deadline = time.monotonic() + timeout
    peak = rss_mib()
    # Told by the operator's own records, not by listing the rollouts: a listing costs
    # the server and this process (whose GIL the operator thread shares) more the more
    # rollouts there are, and its pauses would round the time to finish.
    while len(succeeded_at) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        peak = max(peak, rss_mib())
    finished = len(succeeded_at) == count
    elapsed = (max(succeeded_at.values()) if finished else time.perf_counter()) - started
    logged = log.lines - lines_before
    done = phases(http, prefix)["Succeeded"]
    stop.set()
    thread.join(30)
    served = server_counts()
    served.subtract(counted_ready)
    by_client = {
        client: Counter(
            {key.split(" ", 1)[1]: n for key, n in served.items() if key.startswith(client + " ")}
        )
        for client in ("pixelproof", "kopf")
    }
    steps = [r for r in records if r.written and r.step_after != r.step_before]
    latencies = sorted(r.seconds for r in steps)
    # An older checkout's records may not say how long they waited for a slot.
    with_wait = sorted(r.seconds + getattr(r, "waited", 0.0) for r in steps)
    step_count = sum(max(0, (r.step_after or 0) - (r.step_before or 0)) for r in steps) or 1
    return {
        "rollouts": count,
        "succeeded": done,
        "seconds": elapsed,
        "reconciles": len(records),
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * _p95(latencies),
        "p95_waited_ms": 1000 * _p95(with_wait),
        "requests_per_step": sum(requests.values()) / step_count,
        "requests_per_reconcile": sum(requests.values()) / max(1, len(records)),
        "rss_before_mib": rss_before,
        "rss_peak_mib": peak,
        "log_lines_per_rollout": logged / count,
        "requests": requests,
        "served_per_step": {c: sum(n.values()) / step_count for c, n in by_client.items()},
        "served": by_client,
        "profile": _top(profiler, profile) if profiler is not None else "",
        "startup_seconds": caught_up,
        "startup_requests": startup_requests,
        "watch_events": getattr(getattr(operator, "activity", None), "events", Counter()),
    }


SEEDED = (
    ("/apis/apps/v1", "deployments"),
    ("/api/v1", "services"),
    ("/apis/gateway.networking.k8s.io/v1", "httproutes"),
)


def caught_up_with(http: httpx.Client, operator: Operator, timeout: float) -> float:
    """Seconds until the operator's watches have delivered every object seeded, as they
    have for an operator that has been running: the rollouts are created after that, so
    what is counted per step is the steady state's, not the first listing's."""
    begun = time.perf_counter()
    wanted = {
        plural: len(http.get(f"{prefix}/namespaces/{NS}/{plural}").json()["items"])
        for prefix, plural in SEEDED
    }
    events = getattr(getattr(operator, "activity", None), "events", None)
    deadline = time.monotonic() + timeout
    # An older checkout's operator may not count its watch events: it is not waited for.
    while events is not None and time.monotonic() < deadline:
        if all(events[plural] >= n for plural, n in wanted.items()):
            break
        time.sleep(0.05)
    return time.perf_counter() - begun


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    # Chosen here, not with the operator's own event_loop module (nor its list of loops):
    # --against runs this file on an older checkout, which may not have that module.
    if name == "asyncio":
        return None
    import uvloop

    return uvloop.new_event_loop


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else sum(values)


def _top(profiler: cProfile.Profile, entries: int) -> str:
    if os.environ.get("BENCH_PROFILE_FILE"):
        profiler.dump_stats(os.environ["BENCH_PROFILE_FILE"])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(entries)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rollouts", type=int, default=100)
    parser.add_argument("--interval", type=float, default=1.0, help="operator timer interval (s)")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="create the loaded wave's rollouts evenly over this long, as a fleet whose "
        "rollouts start at different times; at once by default",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the top N cProfile entries"
    )
    parser.add_argument(
        "--against", metavar="CHECKOUT", help="also measure the operator of this checkout"
    )
    parser.add_argument(
        "--omit-event",
        action="append",
        default=[],
        metavar="REASON",
        help="also measure an operator that omits these Normal Events (repeatable)",
    )
    parser.add_argument(
        "--event-loop",
        choices=LOOPS,
        default=LOOPS[0],
        help="the operator's event loop (uvloop, as the operator runs on, by default)",
    )
    parser.add_argument(
        "--compare-loops",
        action="store_true",
        help="also run the waves on the other event loop, in a process of their own, and "
        "print the ratio",
    )
    parser.add_argument("--serve-cluster", action="store_true", help=argparse.SUPPRESS)
    # What a child's loaded wave omits: the --omit-event wave of the process that started it.
    parser.add_argument("--loaded-omits", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_cluster:
        serve_cluster()
        return 0
    print(
        f"machine: {platform.platform()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    # As `pixelproof operator` logs, at INFO, to a file as a pod's log: writing it is part
    # of what the operator costs, and kopf posts its INFO lines as Events only when its
    # logger lets them through.
    logging.getLogger().setLevel(logging.INFO)
    log = PodLog(Path(tempfile.mkdtemp(prefix="bench-operator-")) / "operator.log")
    logging.getLogger().addHandler(log)
    # This process's own client (creating rollouts, polling their phases) is not the operator.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    older = measure_in_child(args, Path(args.against), args.event_loop) if args.against else None
    other_loop = next(loop for loop in LOOPS if loop != args.event_loop)
    # Its own process and API server, as the waves here have: a wave run after another
    # meets an API server holding that one's rollouts too, and is slower for it.
    on_other_loop = (
        measure_in_child(args, None, other_loop)["loaded"] if args.compare_loops else None
    )
    quiet = (
        measure_in_child(args, None, args.event_loop, args.omit_event)["loaded"]
        if args.omit_event
        else None
    )
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-cluster"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    url, kubeconfig = child.stdout.readline().split()

    def server_counts() -> Counter[str]:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("counts\n")
        child.stdin.flush()
        return Counter(json.loads(child.stdout.readline()))

    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            http.post(
                "/api/v1/namespaces",
                json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            ).raise_for_status()
            baseline = run_wave(
                kubeconfig,
                server_counts,
                http,
                1,
                "solo",
                args.interval,
                args.timeout,
                log,
                event_loop=args.event_loop,
            )
            loaded = run_wave(
                kubeconfig,
                server_counts,
                http,
                args.rollouts,
                "load",
                args.interval,
                args.timeout,
                log,
                args.profile,
                omit_events=tuple(args.loaded_omits),
                event_loop=args.event_loop,
                spread=args.spread,
            )
    finally:
        child.stdin.close()
        child.wait(30)
    if args.json:
        print(RESULT + json.dumps({"baseline": _plain(baseline), "loaded": _plain(loaded)}))
        return 0
    waves = [
        (f"baseline (1 rollout, {args.event_loop})", baseline),
        (f"{args.rollouts} rollouts ({args.event_loop})", loaded),
    ]
    if on_other_loop is not None:
        waves.append((f"{args.rollouts} rollouts ({other_loop})", on_other_loop))
    if quiet is not None:
        waves.append((f"{args.rollouts} rollouts omitting {', '.join(args.omit_event)}", quiet))
    for label, result in waves:
        print(
            f"{label}: {result['succeeded']}/{result['rollouts']} succeeded in "
            f"{result['seconds']:.1f}s; step reconcile p50 {result['p50_ms']:.1f} ms, "
            f"p95 {result['p95_ms']:.1f} ms (p95 {result['p95_waited_ms']:.1f} ms with the wait "
            f"for the rollout's lock and a reconcile slot); "
            f"{result['requests_per_step']:.1f} API requests per "
            f"step ({result['requests_per_reconcile']:.1f} per reconcile); RSS "
            f"{result['rss_before_mib']:.0f} -> {result['rss_peak_mib']:.0f} MiB; "
            f"{result['log_lines_per_rollout']:.1f} log lines per rollout"
        )
    per_rollout = ", ".join(
        f"{kind} {n / loaded['rollouts']:.1f}" for kind, n in loaded["requests"].most_common()
    )
    print(f"requests per rollout at {args.rollouts}: {per_rollout}")
    print(_served_line(loaded, f"at {args.rollouts}"))
    for client in ("pixelproof", "kopf"):
        served = loaded["served"][client]
        per = ", ".join(f"{k} {n / loaded['rollouts']:.1f}" for k, n in served.most_common() if n)
        print(f"{client} requests per rollout at {args.rollouts}, by the API server: {per}")
    watched = ", ".join(
        f"{kind} {n / loaded['rollouts']:.1f}" for kind, n in loaded["watch_events"].most_common()
    )
    print(f"watch events per rollout at {args.rollouts}: {watched or 'none'}")
    print(
        f"start-up at {args.rollouts}, not counted above: the watches delivered every seeded "
        f"object {loaded['startup_seconds']:.1f}s after the operator was ready, "
        f"{loaded['startup_requests']} requests from its start until then"
    )
    if loaded["profile"]:
        print(loaded["profile"])
    print(
        f"ratio {args.rollouts} rollouts / baseline: step p50 x{loaded['p50_ms'] / baseline['p50_ms']:.2f}, "
        f"p95 x{loaded['p95_ms'] / baseline['p95_ms']:.2f}, requests per step "
        f"x{loaded['requests_per_step'] / baseline['requests_per_step']:.2f}"
    )
    if quiet is not None:
        print(_served_line(quiet, f"at {args.rollouts} omitting those Events"))
        print(
            f"ratio omitting those Events / posting all, at {args.rollouts} rollouts: requests "
            f"per step x{quiet['requests_per_step'] / loaded['requests_per_step']:.2f}, step p95 "
            f"x{quiet['p95_ms'] / loaded['p95_ms']:.2f}"
        )
    if on_other_loop is not None:
        print(
            f"ratio {args.event_loop} / {other_loop} at {args.rollouts} rollouts, same run: "
            + _ratios(
                loaded,
                on_other_loop,
                ("seconds", "p50_ms", "p95_ms", "p95_waited_ms", "rss_peak_mib"),
            )
        )
    if older is not None:
        print(
            f"this checkout / {args.against} at {args.rollouts} rollouts, same run: "
            + _ratios(
                loaded,
                older["loaded"],
                (
                    "p50_ms",
                    "p95_ms",
                    "p95_waited_ms",
                    "requests_per_step",
                    "rss_peak_mib",
                    "seconds",
                    "log_lines_per_rollout",
                ),
            )
            + f" ({older['loaded']['p50_ms']:.0f}/{older['loaded']['p95_ms']:.0f} ms p50/p95, "
            f"p95 {older['loaded']['p95_waited_ms']:.0f} ms with waits, "
            f"{older['loaded']['seconds']:.0f}s to finish, "
            f"{older['loaded']['rss_peak_mib']:.0f} MiB, "
            f"{older['loaded']['requests_per_step']:.1f} requests per step, "
            f"{older['loaded']['succeeded']}/{args.rollouts} succeeded there)"
        )
        print(_served_line(older["loaded"], f"at {args.rollouts} on {args.against}"))
    finished = all(
        r["succeeded"] == r["rollouts"] for r in (loaded, quiet, on_other_loop) if r is not None
    )
    return 0 if finished else 1


def _ratios(new: Mapping[str, Any], old: Mapping[str, Any], keys: Sequence[str]) -> str:
    """`key xN` for each of `keys` both results measured (an older checkout's may lack some)."""
    return ", ".join(f"{key} x{new[key] / old[key]:.2f}" for key in keys if key in old)


def _served_line(result: Mapping[str, Any], where: str) -> str:
    served = result["served_per_step"]
    return (
        f"API requests per step {where}, counted by the API server: "
        f"{served['pixelproof'] + served['kopf']:.2f} (pixelproof {served['pixelproof']:.2f}, "
        f"kopf {served['kopf']:.2f}); {result['reconciles'] / result['rollouts']:.1f} "
        "reconciles per rollout"
    )


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "profile"}


def measure_in_child(
    args: argparse.Namespace,
    checkout: Path | None,
    event_loop: str,
    omit_events: Sequence[str] = (),
) -> dict[str, Any]:
    """The same waves in a process of their own, with its own local API server, on
    `event_loop`: of another checkout's operator, or of this one's when `checkout` is None;
    its loaded wave omits `omit_events`."""
    env = dict(os.environ)
    if checkout is not None:
        tree = checkout.resolve()
        parts = ("operator", "evaluator", "localstack")
        env["PYTHONPATH"] = os.pathsep.join(str(tree / part) for part in parts)
    command = [sys.executable, __file__, "--json", "--rollouts", str(args.rollouts)]
    command += ["--interval", str(args.interval), "--timeout", str(args.timeout)]
    command += ["--event-loop", event_loop, "--spread", str(args.spread)]
    command += [arg for reason in omit_events for arg in ("--loaded-omits", reason)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            result: dict[str, Any] = json.loads(line[len(RESULT) :])
            return result
    raise SystemExit(
        f"the bench failed on {checkout or 'this checkout'}:\n{done.stdout}\n{done.stderr}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
