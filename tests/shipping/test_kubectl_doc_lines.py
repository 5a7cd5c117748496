"""Every `kubectl pixelproof` line of the README, the operating guide, the chart's NOTES
and its alerts, and every kubectl line there about ModelRollouts, run as written with
the real kubectl against the local API emulator. Placeholders (NAME, NAMESPACE, the
alerts' {{ $labels.name }}) become a rollout that exists; each command finds the rollout
where it applies (a pause for promote, rolled back for retry, finished for --watch)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixelproof.kube import MODELROLLOUTS, KubeClient
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kubectl import (
    CHART_CRD,
    REPO,
    client_with_namespaces,
    install_plugin,
    kubectl_env,
    run,
)

SOURCES = [
    REPO / "README.md",
    REPO / "docs" / "operating.md",
    REPO / "charts" / "pixelproof" / "templates" / "NOTES.txt",
    REPO / "charts" / "pixelproof" / "templates" / "prometheusrule.yaml",
]
EXAMPLE = yaml.safe_load((REPO / "examples" / "poster-gen-gatewayapi.yaml").read_text())
PLACEHOLDERS = {
    "{{ $labels.name }}": "poster-gen",
    "{{ $labels.namespace }}": "imagegen",
    "NAMESPACE": "imagegen",
    "NAME": "poster-gen",
}
ABOUT_ROLLOUTS = re.compile(r"kubectl (pixelproof [a-z]|.*\b(modelrollouts?|mro)\b)")
PAUSE_STEP = 6
STATUSES: dict[str, dict[str, Any]] = {
    "promote": {"phase": "Paused", "currentStep": PAUSE_STEP},
    "retry": {"phase": "RolledBack", "currentStep": 3, "rollbackReason": "aborted"},
    "finished": {
        "phase": "Succeeded",
        "currentStep": 8,
        "weights": {"stable": 0, "candidate": 100},
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Succeeded",
                "lastTransitionTime": "2026-01-05T10:00:00Z",
            }
        ],
        "lastEvaluation": {
            "step": 4,
            "job": "poster-gen-eval-4-1",
            "state": "Pass",
            "startedAt": "2026-01-05T09:40:00Z",
            "report": "pvc://pixelproof-reports/imagegen/poster-gen/poster-gen-eval-4-1/report.html",
        },
    },
    "progressing": {"phase": "Progressing", "currentStep": 3, "stepNumber": 4},
}


def _commands_in(text: str) -> Iterator[str]:
    """Shell lines of code blocks (backslash continuations joined) and inline `kubectl ...`."""
    in_block = False
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_block = not in_block
            continue
        # Indented lines outside code blocks are the chart NOTES' commands.
        if in_block or line.startswith("  kubectl "):
            joined = pending + stripped
            if joined.endswith("\\"):
                pending = joined[:-1]
                continue
            pending = ""
            if joined.startswith("kubectl "):
                yield re.sub(r"\s+#.*$", "", joined).strip()
        yield from re.findall(r"`(kubectl [^`]+)`", line)
        yield from re.findall(
            r"(kubectl pixelproof status \{\{ \$labels\.name \}\} -n \{\{ \$labels\.namespace \}\})",
            line,
        )


def documented_lines() -> list[str]:
    found: list[str] = []
    for source in SOURCES:
        for command in _commands_in(source.read_text()):
            for placeholder, value in PLACEHOLDERS.items():
                command = command.replace(placeholder, value)
            if ABOUT_ROLLOUTS.match(command) and "<" not in command and command not in found:
                found.append(command)
    return found


def status_for(command: str) -> dict[str, Any]:
    if " promote " in command or "pixelproof.dev/promote=" in command:
        return STATUSES["promote"]
    if " retry " in command or "pixelproof.dev/retry=" in command:
        return STATUSES["retry"]
    if any(word in command for word in ("--watch", " wait ", " report ")):
        return STATUSES["finished"]
    return STATUSES["progressing"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(crd_paths=[CHART_CRD]) as local:
        yield local


@pytest.fixture(scope="module")
def kube(cluster: LocalCluster) -> Iterator[KubeClient]:
    with client_with_namespaces(cluster, "imagegen") as client:
        yield client


@pytest.fixture(scope="module")
def workdir(
    cluster: LocalCluster, kubectl: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """A folder with the files the lines name, and PATH with kubectl and the plugin."""
    bin_dir = tmp_path_factory.mktemp("bin")
    install_plugin(bin_dir, kubectl)
    work = tmp_path_factory.mktemp("work")
    manifest = copy.deepcopy(EXAMPLE)
    manifest["metadata"]["namespace"] = "imagegen"
    for name in ("rollout.yaml", "poster-gen.yaml"):
        (work / name).write_text(yaml.safe_dump(manifest))
    return work, kubectl_env(cluster, bin_dir, tmp_path_factory.mktemp("home"))


def reset_rollout(kube: KubeClient, status: dict[str, Any]) -> None:
    path = MODELROLLOUTS.path("imagegen", "poster-gen")
    if kube.get(path) is not None:
        kube.delete(path)
    body = copy.deepcopy(EXAMPLE)
    body["metadata"]["namespace"] = "imagegen"
    kube.create(MODELROLLOUTS.path("imagegen"), body)
    kube.patch(MODELROLLOUTS.path("imagegen", "poster-gen", "status"), {"status": status})


def test_the_documents_name_the_commands_users_need() -> None:
    lines = documented_lines()
    for needed in (
        "kubectl pixelproof get -n imagegen",
        "kubectl pixelproof get poster-gen -n imagegen",
        "kubectl pixelproof status poster-gen -n imagegen --watch",
        "kubectl pixelproof get -A",
        "kubectl pixelproof version",
        "kubectl pixelproof completion bash",
    ):
        assert needed in lines
    assert len(lines) >= 25
    assert EXAMPLE["spec"]["steps"][PAUSE_STEP] == {"pause": {}}


@pytest.mark.parametrize("command", documented_lines())
def test_documented_kubectl_line_runs(
    command: str, kube: KubeClient, workdir: tuple[Path, dict[str, str]]
) -> None:
    work, env = workdir
    reset_rollout(kube, status_for(command))
    done = run(["bash", "-c", command], env, cwd=work)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
