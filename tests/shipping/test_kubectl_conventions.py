"""`kubectl pixelproof` as kubectl runs it: the real kubectl 1.33 binary finding the
plugin on PATH as `kubectl-pixelproof`, against the local API emulator. Global flags
anywhere, the `get` tree, colour rules, -o, --watch, version and completion."""

from __future__ import annotations

import copy
import json
import os
import pty
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixelproof.kube import DEPLOYMENTS, JOBS, MODELROLLOUTS, PODS, KubeClient
from pixelproof_localcluster import LocalCluster, Terminated
from pixelproof_testkit.kubectl import (
    CHART_CRD,
    client_with_namespaces,
    install_plugin,
    kubectl_env,
    run,
)
from pixelproof_testkit.manifests import deployment
from pixelproof_testkit.polling import wait_for

NS = "imagegen"
SPEC: dict[str, Any] = {
    "stable": {"deployment": "poster-gen-v1", "service": "poster-gen-stable"},
    "candidate": {"deployment": "poster-gen-v2", "service": "poster-gen-candidate"},
    "traffic": {"gatewayAPI": {"httpRoute": "poster-gen"}},
    "steps": [{"setWeight": 10}, {"evaluate": {}}, {"setWeight": 50}, {"pause": {}}],
    "goldenSet": {"configMap": {"name": "poster-golden"}},
    "evaluator": {"image": "registry.example/pixelproof-evaluator:0.1.0"},
}
PROGRESSING: dict[str, Any] = {
    "phase": "Progressing",
    "currentStep": 2,
    "stepNumber": 3,
    "weights": {"stable": 50, "candidate": 50},
    "verifiedWeights": {"stable": 50, "candidate": 50},
    "lastEvaluation": {
        "step": 1,
        "attempt": 1,
        "job": "poster-gen-eval-1-1",
        "state": "Pass",
        "startedAt": "2026-01-05T09:40:00Z",
    },
}
REASON = (
    "metric gate error-rate failed: value 0.31, threshold <= 0.02: 0.31 above 0.02 (breach 2 of 2)"
)
ROLLED_BACK_STATUS: dict[str, Any] = {
    "phase": "RolledBack",
    "currentStep": 2,
    "weights": {"stable": 100, "candidate": 0},
    "rollbackReason": REASON,
    "message": REASON,
    "lastEvaluation": {
        "step": 1,
        "job": "poster-gen-eval-1-1",
        "state": "Fail",
        "startedAt": "2026-01-05T09:40:00Z",
        "message": REASON,
    },
    "conditions": [
        {"type": t, "status": s, "reason": "RolledBack", "message": REASON}
        | {"lastTransitionTime": "2026-01-05T09:50:00Z"}
        for t, s in (("Ready", "False"), ("Reconciling", "False"), ("Stalled", "True"))
    ],
}
STALLED_STATUS: dict[str, Any] = {
    "phase": "Pending",
    "message": "invalid spec: spec.steps: at least one step is required",
    "conditions": [
        {
            "type": "Stalled",
            "status": "True",
            "reason": "InvalidSpec",
            "message": "invalid spec: spec.steps: at least one step is required",
            "lastTransitionTime": "2026-01-05T09:50:00Z",
        }
    ],
}


async def _finish_at_once(pod: dict[str, Any], started: Any) -> Terminated:
    started()
    return Terminated(0)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(crd_paths=[CHART_CRD], job_runner=_finish_at_once) as local:
        yield local


@pytest.fixture(scope="module")
def kube(cluster: LocalCluster) -> Iterator[KubeClient]:
    with client_with_namespaces(cluster, NS, "posters") as client:
        yield client


@pytest.fixture(scope="module")
def env(cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    bin_dir = tmp_path_factory.mktemp("bin")
    install_plugin(bin_dir)
    return kubectl_env(cluster, bin_dir, tmp_path_factory.mktemp("home"))


def run_kubectl(binary: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return run([str(binary), *argv], env)


def ok(binary: Path, env: dict[str, str], *argv: str) -> str:
    done = run_kubectl(binary, env, *argv)
    assert done.returncode == 0, done.stderr
    return done.stdout


def create_rollout(
    kube: KubeClient,
    name: str,
    status: dict[str, Any] | None,
    namespace: str = NS,
    spec: dict[str, Any] | None = None,
) -> None:
    body = {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": copy.deepcopy(spec or SPEC),
    }
    kube.create(MODELROLLOUTS.path(namespace), body)
    if status is not None:
        set_status(kube, name, status, namespace)


def set_status(kube: KubeClient, name: str, status: dict[str, Any], namespace: str = NS) -> None:
    kube.patch(MODELROLLOUTS.path(namespace, name, "status"), {"status": status})


def ready_pod(kube: KubeClient, name: str, version: str) -> None:
    pod = {
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"app": "poster-gen", "version": version},
        },
        "spec": {"containers": [{"name": "gen", "image": f"gen:{version}"}]},
    }
    kube.create(PODS.path(NS), pod)
    status = {
        "phase": "Running",
        "containerStatuses": [
            {"name": "gen", "ready": True, "restartCount": 0, "state": {"running": {}}}
        ],
    }
    kube.patch(PODS.path(NS, name, "status"), {"status": status})


@pytest.fixture(scope="module")
def owned(kube: KubeClient) -> None:
    """What a rollout named poster-gen owns and touches: route, Deployments, pods, a Job."""
    kube.create(DEPLOYMENTS.path(NS), deployment("poster-gen-v1", 2))
    kube.create(DEPLOYMENTS.path(NS), deployment("poster-gen-v2", 1))
    for pod, version in (
        ("poster-gen-v1-a", "poster-gen-v1"),
        ("poster-gen-v1-b", "poster-gen-v1"),
        ("poster-gen-v2-a", "poster-gen-v2"),
    ):
        ready_pod(kube, pod, version)
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "poster-gen", "namespace": NS},
        "spec": {
            "rules": [
                {
                    "backendRefs": [
                        {"name": "poster-gen-stable", "port": 80, "weight": 50},
                        {"name": "poster-gen-candidate", "port": 80, "weight": 50},
                    ]
                }
            ]
        },
    }
    kube.create("/apis/gateway.networking.k8s.io/v1/namespaces/imagegen/httproutes", route)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "poster-gen-eval-1-1",
            "namespace": NS,
            "labels": {
                "pixelproof.dev/rollout": "poster-gen",
                "pixelproof.dev/step": "1",
                "pixelproof.dev/attempt": "1",
            },
        },
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "evaluator", "image": "registry.example/eval:1"}],
                }
            },
        },
    }
    kube.create(JOBS.path(NS), job)
    wait_for(
        lambda: any(
            c.get("type") == "Complete"
            for c in (kube.get(JOBS.path(NS, "poster-gen-eval-1-1")).get("status") or {}).get(
                "conditions"
            )
            or []
        ),
        60,
        "the evaluator Job to complete",
    )
    create_rollout(kube, "poster-gen", PROGRESSING)


def names_in(table: str) -> set[str]:
    return {line.split()[0] for line in table.splitlines()[1:] if line.strip()}


@pytest.mark.parametrize(
    "argv",
    [
        ["pixelproof", "get", "-n", NS],
        ["pixelproof", "-n", NS, "get"],
        ["pixelproof", "get", "--namespace", NS],
        ["pixelproof", "get", f"--namespace={NS}"],
        ["pixelproof", "get", f"-n{NS}"],
    ],
)
def test_namespace_flag_works_anywhere_on_the_line(
    kubectl: Path, env: dict[str, str], kube: KubeClient, owned: None, argv: list[str]
) -> None:
    out = ok(kubectl, env, *argv)
    assert out.splitlines()[0].split()[:3] == ["NAME", "PHASE", "STEP"]
    assert "poster-gen" in names_in(out)


def test_kubeconfig_context_and_all_namespaces_work_after_the_subcommand(
    kubectl: Path, env: dict[str, str], kube: KubeClient, cluster: LocalCluster, owned: None
) -> None:
    create_rollout(kube, "elsewhere", PROGRESSING, namespace="posters")
    bare = {k: v for k, v in env.items() if k != "KUBECONFIG"}
    config = str(cluster.kubeconfig_path)
    context = yaml.safe_load(cluster.kubeconfig_path.read_text())["current-context"]
    out = ok(kubectl, bare, "pixelproof", "get", "-A", "--kubeconfig", config, "--context", context)
    rows = [line.split()[:2] for line in out.splitlines()[1:]]
    assert out.splitlines()[0].startswith("NAMESPACE")
    assert ["posters", "elsewhere"] in rows and [NS, "poster-gen"] in rows
    out = ok(kubectl, bare, "pixelproof", "get", f"--kubeconfig={config}", "--all-namespaces")
    assert ["posters", "elsewhere"] in [line.split()[:2] for line in out.splitlines()[1:]]
    done = run_kubectl(kubectl, bare, "pixelproof", "get", "--kubeconfig")
    assert done.returncode == 1 and "flag needs an argument: --kubeconfig" in done.stderr


def test_get_names_a_rollout_and_draws_what_it_owns(
    kubectl: Path, env: dict[str, str], owned: None
) -> None:
    out = ok(kubectl, env, "pixelproof", "get", "poster-gen", "-n", NS)
    assert "\033[" not in out
    header, tree = out.split("\n\n", 1)
    assert "Status:        ◌ Progressing" in header
    assert "Step:          3/4" in header
    assert "Weights:       stable 50 / candidate 50 (verified)" in header
    assert "Last verdict:  Pass (poster-gen-eval-1-1)" in header
    lines = tree.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "STATUS", "AGE", "INFO"]
    shape = [(line.split()[0], line.split()[1], " ".join(line.split()[2:4])) for line in lines[1:]]
    assert shape[:-1] == [
        ("poster-gen", "ModelRollout", "◌ Progressing"),
        ("├──poster-gen", "HTTPRoute", "✔ Healthy"),
        ("├──poster-gen-v1", "Deployment", "✔ Healthy"),
        ("│", "├──poster-gen-v1-a", "Pod ✔"),
        ("│", "└──poster-gen-v1-b", "Pod ✔"),
        ("├──poster-gen-v2", "Deployment", "✔ Healthy"),
        ("│", "└──poster-gen-v2-a", "Pod ✔"),
        ("└──poster-gen-eval-1-1", "Job", "✔ Successful"),
    ]
    assert lines[-1].strip().startswith("└──poster-gen-eval-1-1-")
    assert lines[-1].split()[1:4] == ["Pod", "✔", "Completed"]
    assert lines[1].endswith("step 3/4, weights 50/50")
    assert lines[2].endswith("stable 50 / candidate 50")
    assert lines[3].endswith("stable, ready:2/2")
    assert lines[4].endswith("ready:1/1")
    assert lines[8].endswith("step 2, attempt 1, verdict Pass")


def test_colour_only_on_a_terminal_and_never_with_no_color(
    kubectl: Path, env: dict[str, str], owned: None
) -> None:
    def on_terminal(environ: dict[str, str]) -> str:
        leader, follower = pty.openpty()
        done = subprocess.run(
            [str(kubectl), "pixelproof", "get", "poster-gen", "-n", NS],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=environ,
            timeout=120,
            check=False,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert done.returncode == 0, done.stderr
        return b"".join(chunks).decode()

    coloured = on_terminal(env)
    assert "\033[33m◌ Progressing\033[0m" in coloured
    assert "\033[32m✔ Healthy\033[0m" in coloured
    plain = on_terminal(env | {"NO_COLOR": "1"})
    assert "\033[" not in plain and "◌ Progressing" in plain


def test_get_shows_a_stalled_rollout_as_stalled(
    kubectl: Path, env: dict[str, str], kube: KubeClient
) -> None:
    create_rollout(kube, "stuck", STALLED_STATUS)
    rows = {
        line.split()[0]: line.split()
        for line in ok(kubectl, env, "pixelproof", "get", "-n", NS).splitlines()
    }
    assert rows["stuck"][1] == "Stalled"
    header = ok(kubectl, env, "pixelproof", "get", "stuck", "-n", NS).split("\n\n")[0]
    assert "Status:        ⚠ Stalled (InvalidSpec)" in header
    assert "Message:       invalid spec: spec.steps: at least one step is required" in header
    status = ok(kubectl, env, "pixelproof", "status", "stuck", "-n", NS)
    assert "Phase:       Stalled (InvalidSpec)" in status


def test_status_prints_a_rollback_reason_once(
    kubectl: Path, env: dict[str, str], kube: KubeClient
) -> None:
    create_rollout(kube, "rolled-back", ROLLED_BACK_STATUS)
    out = ok(kubectl, env, "pixelproof", "status", "rolled-back", "-n", NS)
    assert out.count(REASON) == 1
    assert f"Rolled back: {REASON}" in out
    assert "State:     Fail: (as Rolled back)" in out
    conditions = out[out.index("Conditions:") :].splitlines()[2:]
    assert [c.split()[:3] for c in conditions] == [
        ["Ready", "False", "RolledBack"],
        ["Reconciling", "False", "RolledBack"],
        ["Stalled", "True", "RolledBack"],
    ]
    assert all(c.rstrip().endswith("(as Rolled back)") for c in conditions)


def test_get_prints_json_and_yaml(kubectl: Path, env: dict[str, str], owned: None) -> None:
    one = json.loads(ok(kubectl, env, "pixelproof", "get", "poster-gen", "-n", NS, "-o", "json"))
    assert one["kind"] == "ModelRollout" and one["status"]["currentStep"] == 2
    listed = yaml.safe_load(ok(kubectl, env, "pixelproof", "get", "-o", "yaml", "-n", NS))
    assert listed["kind"] == "List"
    assert "poster-gen" in {item["metadata"]["name"] for item in listed["items"]}
    assert run_kubectl(kubectl, env, "pixelproof", "get", "-o", "table").returncode == 2


def test_get_watch_redraws_until_the_rollout_finishes(
    kubectl: Path, env: dict[str, str], kube: KubeClient, tmp_path: Path
) -> None:
    create_rollout(kube, "watched", PROGRESSING)
    argv = [str(kubectl), "pixelproof", "get", "watched", "-n", NS, "--watch", "--timeout", "90s"]
    shown = tmp_path / "watch.out"
    with shown.open("w") as sink:
        watcher = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, text=True, env=env)
        try:
            wait_for(lambda: "ModelRollout" in shown.read_text(), 60, "the first view")
            finished = {
                "phase": "Succeeded",
                "currentStep": 4,
                "weights": {"stable": 0, "candidate": 100},
            }
            set_status(kube, "watched", {**PROGRESSING, **finished})
            _, err = watcher.communicate(timeout=90)
        finally:
            watcher.kill()
    assert watcher.returncode == 0, err
    views = shown.read_text().split("\n\nName:")
    assert len(views) == 2
    assert "◌ Progressing" in views[0] and "✔ Succeeded" in views[1]
    done = run_kubectl(kubectl, env, "pixelproof", "get", "--watch", "-n", NS)
    assert done.returncode == 1 and "get --watch follows one rollout: name it" in done.stderr


def test_get_watch_gives_up_at_the_timeout(
    kubectl: Path, env: dict[str, str], kube: KubeClient
) -> None:
    create_rollout(kube, "slow", PROGRESSING)
    done = run_kubectl(kubectl, env, "pixelproof", "get", "slow", "-w", "--timeout", "2s", "-n", NS)
    assert done.returncode == 2
    assert "Timed out after 2s waiting for imagegen/slow to finish." in done.stdout


def test_version(kubectl: Path, env: dict[str, str]) -> None:
    import importlib.metadata

    version = importlib.metadata.version("pixelproof")
    assert ok(kubectl, env, "pixelproof", "version").strip() == f"kubectl-pixelproof: v{version}"
    shown = json.loads(ok(kubectl, env, "pixelproof", "version", "-o", "json"))
    assert shown == {"name": "kubectl-pixelproof", "version": version}


def test_kubectl_completes_the_plugin_through_its_completion_hook(
    kubectl: Path, env: dict[str, str], owned: None
) -> None:
    def offered(*words: str) -> list[str]:
        lines = ok(kubectl, env, "__complete", "pixelproof", *words).splitlines()
        assert lines[-1] == ":4"
        return lines[:-1]

    assert offered("") == [
        "get",
        "status",
        "promote",
        "abort",
        "retry",
        "report",
        "lint",
        "version",
        "completion",
    ]
    assert offered("pro") == ["promote"]
    assert "poster-gen" in offered("status", "-n", NS, "")
    assert NS in offered("get", "--namespace", "") and NS in offered("get", "-n", "")
    assert offered("completion", "") == ["bash", "zsh"]
    assert "--watch" in offered("get", "--")


def test_bash_completion_script_completes_commands_and_names(
    kubectl: Path, env: dict[str, str], owned: None
) -> None:
    script = ok(kubectl, env, "pixelproof", "completion", "bash")
    assert "complete -o default -F _kubectl_pixelproof kubectl-pixelproof" in script

    def complete(*words: str) -> list[str]:
        program = (
            f"source <(kubectl-pixelproof completion bash)\n"
            f"COMP_WORDS=(kubectl-pixelproof {' '.join(repr(w) for w in words)})\n"
            f"COMP_CWORD={len(words)}\n"
            "_kubectl_pixelproof\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        done = run(["bash", "-c", program], env)
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if line]

    assert complete("st") == ["status"]
    assert "poster-gen" in complete("abort", "-n", NS, "")
    zsh = ok(kubectl, env, "pixelproof", "completion", "zsh")
    assert zsh.startswith("#compdef kubectl-pixelproof") and "kubectl-pixelproof __complete" in zsh
