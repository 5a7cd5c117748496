"""`kubectl pixelproof` against the local Kubernetes API emulator."""

from __future__ import annotations

import copy
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import kubernetes
import pytest
import yaml

from pixelproof.kubectl_plugin.cli import main
from pixelproof.kubectl_plugin.handlers import fresh_token
from pixelproof_localcluster import LocalCluster

REPO = Path(__file__).resolve().parents[2]
CHART_CRD = REPO / "charts" / "pixelproof" / "files" / "crds" / "modelrollouts.pixelproof.dev.yaml"
GROUP, VERSION, PLURAL = "pixelproof.dev", "v1alpha1", "modelrollouts"
NAMESPACE = "imagegen"

SPEC: dict[str, Any] = {
    "stable": {"deployment": "poster-gen-v1", "service": "poster-gen-stable"},
    "candidate": {"deployment": "poster-gen-v2", "service": "poster-gen-candidate"},
    "traffic": {"gatewayAPI": {"httpRoute": "poster-gen"}},
    "steps": [
        {"setWeight": 1},
        {"evaluate": {}},
        {"pause": {"duration": "10m"}},
        {"setWeight": 10},
        {"evaluate": {"tags": ["typography"]}},
        {"setWeight": 50},
        {"pause": {}},
        {"setWeight": 100},
    ],
    "goldenSet": {"configMap": {"name": "poster-golden"}},
    "evaluator": {"image": "registry.example/pixelproof-evaluator:0.1.0"},
    "metrics": {
        "prometheus": {"address": "http://prometheus.monitoring:9090"},
        "gates": [{"name": "error-rate", "template": "error-rate", "failureLimit": 2}],
    },
}
ERROR_RATE_QUERY = (
    'sum(rate(generate_requests_total{service="poster-gen-candidate",code=~"5.."}[2m])) '
    '/ sum(rate(generate_requests_total{service="poster-gen-candidate"}[2m]))'
)
PROGRESSING: dict[str, Any] = {
    "phase": "Progressing",
    "currentStep": 3,
    "weights": {"stable": 90, "candidate": 10},
    "verifiedWeights": {"stable": 90, "candidate": 10},
    "waitingOn": "metric gates",
    "message": "weight 10 % verified; judging metric gates",
    "gates": [
        {
            "name": "error-rate",
            "query": ERROR_RATE_QUERY,
            "value": 0.0042,
            "threshold": "<= 0.02",
            "verdict": "Pass",
            "consecutiveBreaches": 0,
            "lastTime": "2026-01-05T10:00:00Z",
        }
    ],
    "lastEvaluation": {
        "step": 1,
        "attempt": 1,
        "job": "poster-gen-eval-1-1",
        "state": "Pass",
        "startedAt": "2026-01-05T09:40:00Z",
        "finishedAt": "2026-01-05T09:52:00Z",
        "report": "pvc://pixelproof-reports/imagegen/poster-gen/poster-gen-eval-1-1/report.html",
        "gates": [
            {"name": "lpips", "verdict": "Pass", "value": 0.081, "threshold": "mean <= 0.25"}
        ],
    },
    "conditions": [
        {
            "type": "Ready",
            "status": "False",
            "reason": "Progressing",
            "lastTransitionTime": "2026-01-05T09:30:00Z",
        },
        {
            "type": "Reconciling",
            "status": "True",
            "reason": "Progressing",
            "message": "weight 10 % verified",
            "lastTransitionTime": "2026-01-05T09:30:00Z",
        },
        {
            "type": "Stalled",
            "status": "False",
            "reason": "Progressing",
            "lastTransitionTime": "2026-01-05T09:30:00Z",
        },
    ],
}
ROLLED_BACK: dict[str, Any] = {
    "phase": "RolledBack",
    "currentStep": 4,
    "weights": {"stable": 100, "candidate": 0},
    "verifiedWeights": {"stable": 100, "candidate": 0},
    "rollbackReason": "evaluation failed: typography pass rate 0.61 below 0.95",
    "lastEvaluation": {
        "step": 4,
        "attempt": 1,
        "job": "poster-gen-eval-4-1",
        "state": "Fail",
        "startedAt": "2026-01-05T10:10:00Z",
        "finishedAt": "2026-01-05T10:20:00Z",
    },
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(crd_paths=[CHART_CRD]) as local:
        yield local


@pytest.fixture
def api(cluster: LocalCluster) -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(cluster.client())


def create(
    api: kubernetes.client.CustomObjectsApi,
    name: str,
    status: dict[str, Any] | None,
    namespace: str = NAMESPACE,
) -> None:
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ModelRollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": copy.deepcopy(SPEC),
    }
    api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    if status is not None:
        set_status(api, name, status, namespace)


def set_status(
    api: kubernetes.client.CustomObjectsApi,
    name: str,
    status: dict[str, Any],
    namespace: str = NAMESPACE,
) -> None:
    api.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, name, {"status": status}
    )


def read(api: kubernetes.client.CustomObjectsApi, name: str) -> dict[str, Any]:
    return cast(
        dict[str, Any], api.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, name)
    )


def plugin(
    cluster: LocalCluster, *argv: str, namespace: str | None = NAMESPACE
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["--kubeconfig", str(cluster.kubeconfig_path)]
    if namespace:
        args += ["-n", namespace]
    code = main([*args, *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_get_lists_phase_step_weights_verdict_and_age(cluster: LocalCluster, api: Any) -> None:
    create(api, "get-progressing", PROGRESSING)
    create(api, "get-fresh", None)
    code, out, _ = plugin(cluster, "get")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "PHASE", "STEP", "WEIGHTS(S/C)", "LAST", "VERDICT", "AGE"]
    by_name = {row.split()[0]: row.split() for row in rows}
    assert by_name["get-progressing"][1:5] == ["Progressing", "4/8", "90/10", "Pass"]
    assert by_name["get-fresh"][1:5] == ["Pending", "1/8", "-", "-"]
    assert by_name["get-progressing"][5].endswith("s")


def test_get_across_namespaces_adds_the_namespace_column(cluster: LocalCluster, api: Any) -> None:
    create(api, "elsewhere", PROGRESSING, namespace="posters")
    code, out, _ = plugin(cluster, "get", "-A", namespace=None)
    assert code == 0
    assert out.splitlines()[0].startswith("NAMESPACE")
    assert any(line.split()[:2] == ["posters", "elsewhere"] for line in out.splitlines())


def test_status_shows_gates_evaluation_and_conditions(cluster: LocalCluster, api: Any) -> None:
    create(api, "status-detail", PROGRESSING)
    code, out, _ = plugin(cluster, "status", "status-detail")
    assert code == 0
    assert "Phase:       Progressing (waiting on metric gates)" in out
    assert "Step:        4/8 setWeight 10" in out
    assert "declared stable 90 / candidate 10" in out
    assert "verified stable 90 / candidate 10" in out
    gate_row = next(line for line in out.splitlines() if line.strip().startswith("error-rate  "))
    assert gate_row.split()[:4] == ["error-rate", "Pass", "0.0042", "<="]
    assert f"error-rate query: {ERROR_RATE_QUERY}" in out
    assert "Job:       poster-gen-eval-1-1 (step 2, attempt 1)" in out
    assert "pvc://pixelproof-reports/imagegen/poster-gen/poster-gen-eval-1-1/report.html" in out
    conditions = out[out.index("Conditions:") :].splitlines()
    assert [c.split()[:3] for c in conditions[2:]] == [
        ["Ready", "False", "Progressing"],
        ["Reconciling", "True", "Progressing"],
        ["Stalled", "False", "Progressing"],
    ]


def test_promote_sets_a_fresh_token_and_never_touches_spec(cluster: LocalCluster, api: Any) -> None:
    create(api, "promote-me", {**PROGRESSING, "phase": "Paused", "currentStep": 6})
    before = read(api, "promote-me")
    code, out, _ = plugin(cluster, "promote", "promote-me")
    assert code == 0
    first = read(api, "promote-me")["metadata"]["annotations"]["pixelproof.dev/promote"]
    assert f"pixelproof.dev/promote={first}" in out
    code, _, _ = plugin(cluster, "promote", "promote-me")
    after = read(api, "promote-me")
    second = after["metadata"]["annotations"]["pixelproof.dev/promote"]
    assert code == 0 and second != first
    assert after["spec"] == before["spec"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["status"] == before["status"]


def test_promote_full_and_abort_use_their_own_annotations(cluster: LocalCluster, api: Any) -> None:
    create(api, "skip-ahead", PROGRESSING)
    assert plugin(cluster, "promote", "--full", "skip-ahead")[0] == 0
    assert plugin(cluster, "abort", "skip-ahead")[0] == 0
    annotations = read(api, "skip-ahead")["metadata"]["annotations"]
    assert set(annotations) >= {"pixelproof.dev/promote-full", "pixelproof.dev/abort"}
    assert "pixelproof.dev/promote" not in annotations


def test_commands_that_make_no_sense_in_the_phase_are_refused(
    cluster: LocalCluster, api: Any
) -> None:
    create(api, "already-back", ROLLED_BACK)
    code, _, err = plugin(cluster, "abort", "already-back")
    assert code == 1
    assert "imagegen/already-back: abort: the rollout already ended (RolledBack)" in err
    assert "pixelproof.dev/abort" not in (
        read(api, "already-back")["metadata"].get("annotations") or {}
    )
    create(api, "still-going", PROGRESSING)
    code, _, err = plugin(cluster, "retry", "still-going")
    assert code == 1 and "imagegen/still-going: retry: nothing to retry in phase Progressing" in err


def test_retry_restarts_a_rolled_back_rollout(cluster: LocalCluster, api: Any) -> None:
    create(api, "try-again", ROLLED_BACK)
    code, out, _ = plugin(cluster, "retry", "try-again")
    assert code == 0 and "retry requested" in out
    assert read(api, "try-again")["metadata"]["annotations"]["pixelproof.dev/retry"]


def test_retry_reruns_an_inconclusive_evaluation(cluster: LocalCluster, api: Any) -> None:
    held = copy.deepcopy(PROGRESSING)
    held["currentStep"] = held["lastEvaluation"]["step"]
    held["lastEvaluation"].update(state="Inconclusive", message="pod unschedulable: no GPU free")
    create(api, "no-gpu", held)
    assert plugin(cluster, "retry", "no-gpu")[0] == 0
    assert read(api, "no-gpu")["metadata"]["annotations"]["pixelproof.dev/retry"]


def test_report_prints_where_the_report_is(cluster: LocalCluster, api: Any) -> None:
    create(api, "with-report", PROGRESSING)
    code, out, _ = plugin(cluster, "report", "with-report")
    assert code == 0
    assert (
        out.splitlines()[0]
        == "pvc://pixelproof-reports/imagegen/poster-gen/poster-gen-eval-1-1/report.html"
    )
    create(api, "without-report", ROLLED_BACK)
    code, _, err = plugin(cluster, "report", "without-report")
    assert (
        code == 1
        and "poster-gen-eval-4-1 of imagegen/without-report has no report: it ended Fail" in err
    )
    create(api, "never-evaluated", None)
    code, _, err = plugin(cluster, "report", "never-evaluated")
    assert code == 1 and "has not run an evaluation yet" in err


def test_missing_rollout_is_named(cluster: LocalCluster) -> None:
    code, _, err = plugin(cluster, "status", "no-such-rollout")
    assert code == 1
    assert "modelrollout imagegen/no-such-rollout not found" in err


class Shown(io.StringIO):
    """Output that tells the test when the watcher has shown its first view."""

    def __init__(self) -> None:
        super().__init__()
        self.first = threading.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        self.first.set()
        return written


def test_watch_follows_the_rollout_until_it_finishes(cluster: LocalCluster, api: Any) -> None:
    create(api, "watched", PROGRESSING)
    out, err = Shown(), io.StringIO()
    codes: list[int] = []
    argv = [
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "-n",
        NAMESPACE,
        "status",
        "watched",
        "--watch",
    ]
    watcher = threading.Thread(
        target=lambda: codes.append(main([*argv, "--timeout", "30s"], out=out, err=err))
    )
    watcher.start()
    assert out.first.wait(10), err.getvalue()
    halfway = {"phase": "Progressing", "currentStep": 5, "weights": {"stable": 50, "candidate": 50}}
    set_status(api, "watched", halfway)
    set_status(
        api,
        "watched",
        {"phase": "Succeeded", "currentStep": 8, "weights": {"stable": 0, "candidate": 100}},
    )
    watcher.join(timeout=30)
    assert not watcher.is_alive()
    assert codes == [0], err.getvalue()
    views = out.getvalue().split("\n\n")
    assert len(views) >= 2
    assert "Phase:       Progressing" in views[0]
    assert "Phase:       Succeeded" in views[-1]
    assert "declared stable 0 / candidate 100" in views[-1]


def test_watch_exits_non_zero_on_rollback_and_on_timeout(cluster: LocalCluster, api: Any) -> None:
    create(api, "watched-back", ROLLED_BACK)
    assert plugin(cluster, "status", "watched-back", "--watch")[0] == 1
    create(api, "watched-slow", PROGRESSING)
    started = time.monotonic()
    code, out, _ = plugin(cluster, "status", "watched-slow", "--watch", "--timeout", "1s")
    assert code == 2 and "Timed out after 1s" in out
    assert time.monotonic() - started < 10


def test_namespace_comes_from_the_kubeconfig_context(cluster: LocalCluster, api: Any) -> None:
    create(api, "in-default", None, namespace="default")
    code, out, _ = plugin(cluster, "get", namespace=None)
    assert code == 0 and "in-default" in out and "get-progressing" not in out


def test_bad_kubeconfig_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    out, err = io.StringIO(), io.StringIO()
    assert main(["--kubeconfig", str(missing), "get"], out=out, err=err) == 1
    assert f"cannot load kubeconfig {missing}" in err.getvalue()


def test_fresh_token_differs_from_the_previous_one() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=UTC)
    token = fresh_token(None, now)
    assert token == "2026-01-05T10:00:00.123456Z"
    assert fresh_token(token, now) != token


def test_lint_accepts_a_valid_rollout_and_names_every_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        yaml.safe_dump(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "ModelRollout",
                "metadata": {"name": "ok"},
                "spec": SPEC,
            }
        )
    )
    bad_spec = copy.deepcopy(SPEC)
    bad_spec["steps"] = [{"setWeight": 50}, {"setWeight": 10}]
    bad_spec["candidate"]["service"] = "poster-gen-stable"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "ModelRollout",
                "metadata": {"name": "broken"},
                "spec": bad_spec,
            }
        )
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["lint", str(good)], out=out, err=err) == 0
    assert "1 file(s) valid" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["lint", str(good), str(bad)], out=out, err=err) == 1
    problems = err.getvalue()
    assert f"{bad}: broken:" in problems
    assert "setWeight values must not decrease" in problems
    assert "stable and candidate must use different Services" in problems
    assert str(good) not in problems


def test_runs_as_a_kubectl_plugin_executable(
    cluster: LocalCluster, api: Any, tmp_path: Path
) -> None:
    """kubectl runs `kubectl-pixelproof` from PATH; the module entry point is the same program."""
    create(api, "as-plugin", PROGRESSING)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "operator"), os.environ.get("PYTHONPATH", "")]),
    }
    env["KUBECONFIG"] = str(cluster.kubeconfig_path)
    done = subprocess.run(
        [sys.executable, "-m", "pixelproof.kubectl_plugin", "-n", NAMESPACE, "get", "as-plugin"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    root = next(line for line in done.stdout.splitlines() if line.startswith("as-plugin "))
    assert root.split()[:4] == ["as-plugin", "ModelRollout", "◌", "Progressing"]
    assert root.endswith("step 4/8, weights 90/10")


def test_real_kubectl_dispatches_to_the_plugin(
    cluster: LocalCluster, api: Any, kubectl: Path, tmp_path: Path
) -> None:
    """kubectl finds `kubectl-pixelproof` on PATH and hands it the rest of the command line."""
    create(api, "via-kubectl", ROLLED_BACK)
    shim = tmp_path / "kubectl-pixelproof"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pixelproof.kubectl_plugin "$@"\n')
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(tmp_path), os.environ["PATH"]]),
        "PYTHONPATH": os.pathsep.join([str(REPO / "operator"), os.environ.get("PYTHONPATH", "")]),
        "KUBECONFIG": str(cluster.kubeconfig_path),
    }
    listed = subprocess.run(
        [str(kubectl), "plugin", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert str(shim) in listed.stdout
    done = subprocess.run(
        [str(kubectl), "pixelproof", "-n", NAMESPACE, "retry", "via-kubectl"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (
        read(api, "via-kubectl")["metadata"]["annotations"]["pixelproof.dev/retry"] in done.stdout
    )


def test_status_shows_dry_run_gates_gate_sets_and_the_rollback_window(
    cluster: LocalCluster, api: Any
) -> None:
    spec = copy.deepcopy(SPEC)
    spec["metrics"]["gates"][0]["dryRun"] = True
    spec["gateSets"] = [{"name": "serving"}, {"name": "org", "kind": "ClusterGateSet"}]
    spec["rollbackWindow"] = {"revisions": 2, "duration": "72h"}
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ModelRollout",
        "metadata": {"name": "policies", "namespace": NAMESPACE},
        "spec": spec,
    }
    api.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)
    status = copy.deepcopy(PROGRESSING)
    status["gates"][0].update(verdict="Fail", value=0.3, dryRun=True)
    status["lastEvaluation"]["gates"].append(
        {"name": "ssim", "verdict": "Fail", "value": 0.5, "threshold": ">= 0.9", "dryRun": True}
    )
    status["fastTracked"] = "revision 0a1b2c of poster-gen-v2 was promoted at 2026-01-04T08:00:00Z"
    status["promotedRevisions"] = [
        {"revision": "0a1b2c", "deployment": "poster-gen-v2", "promotedAt": "2026-01-04T08:00:00Z"}
    ]
    set_status(api, "policies", status)
    code, out, _ = plugin(cluster, "status", "policies")
    assert code == 0
    gate_row = next(line for line in out.splitlines() if line.strip().startswith("error-rate  "))
    assert gate_row.split()[:4] == ["error-rate", "Fail", "(dry", "run)"]
    check_row = next(line for line in out.splitlines() if line.strip().startswith("ssim  "))
    assert check_row.split()[:3] == ["ssim", "Fail", "(dry"]
    assert "Gate sets:   GateSet serving, ClusterGateSet org" in out
    assert "Rollback window: 2 revisions, promoted within 72h" in out
    assert "Steps skipped: revision 0a1b2c of poster-gen-v2 was promoted at" in out
    assert "  0a1b2c poster-gen-v2 at 2026-01-04T08:00:00Z" in out


def test_help_version_and_completing_a_command_load_no_cluster_client() -> None:
    """kubectl runs the plugin on every TAB: completing a command's name, like --help and
    version, imports neither a Kubernetes client nor the API models."""
    program = (
        "import contextlib, io, sys\n"
        "from pixelproof.kubectl_plugin.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['__complete', 'pro'])\n"
        "    main(['version'])\n"
        "    with contextlib.suppress(SystemExit):\n"
        "        main(['--help'])\n"
        "heavy = {'kubernetes', 'aiohttp', 'httpx', 'kopf', 'pydantic', 'pixelproof.api'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO / "operator")}
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
