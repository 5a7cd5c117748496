"""The real kubectl 1.33 against the local API emulator: server-side Tables from the CRD's
printer columns, `kubectl explain` and validated `kubectl apply` from OpenAPI v3, and a
clear answer to protobuf."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pixelproof.kube import CONFIGMAPS, MODELROLLOUTS, KubeClient
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kubectl import CHART_CRD, REPO, client_with_namespaces, kubectl_env, run
from pixelproof_testkit.polling import wait_for

EXAMPLE = REPO / "examples" / "poster-gen-gatewayapi.yaml"
NS = "imagegen"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(crd_paths=[CHART_CRD]) as local:
        yield local


@pytest.fixture(scope="module")
def kube(cluster: LocalCluster) -> Iterator[KubeClient]:
    with client_with_namespaces(cluster, NS) as client:
        yield client


@pytest.fixture(scope="module")
def env(cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    bin_dir = tmp_path_factory.mktemp("bin")
    return kubectl_env(cluster, bin_dir, tmp_path_factory.mktemp("home"))


def ok(kubectl: Path, env: dict[str, str], *argv: str, stdin: str | None = None) -> str:
    done = run([str(kubectl), *argv], env, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


def example(**spec_changes: Any) -> str:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["metadata"]["namespace"] = NS
    document["spec"].update(spec_changes)
    return yaml.safe_dump(document)


def test_apply_validates_without_turning_validation_off(
    kubectl: Path, env: dict[str, str], kube: KubeClient
) -> None:
    out = ok(kubectl, env, "apply", "-f", "-", stdin=example())
    assert out.strip() == "modelrollout.pixelproof.dev/poster-gen created"
    assert ok(kubectl, env, "apply", "-f", "-", stdin=example()).strip().endswith("unchanged")
    done = run([str(kubectl), "apply", "-f", "-"], env, stdin=example(goldenSett={"configMap": {}}))
    assert done.returncode == 1
    assert 'strict decoding error: unknown field "spec.goldenSett"' in done.stderr
    warned = run(
        [str(kubectl), "apply", "--validate=warn", "-f", "-"],
        env,
        stdin=example(goldenSett={"configMap": {}}),
    )
    assert warned.returncode == 0, warned.stderr
    assert 'unknown field "spec.goldenSett"' in warned.stderr
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "applied"}}
    assert "namespace/applied created" in ok(
        kubectl, env, "apply", "-f", "-", stdin=yaml.safe_dump(namespace)
    )


def test_explain_reads_the_crd_schema(kubectl: Path, env: dict[str, str]) -> None:
    out = ok(kubectl, env, "explain", "modelrollout.spec")
    assert "KIND:       ModelRollout" in out and "VERSION:    v1alpha1" in out
    assert "FIELD: spec <Object>" in out
    assert "Desired rollout of a candidate image-generation model" in out
    fields = out[out.index("FIELDS:") :]
    for name in ("candidate", "stable", "steps", "traffic", "goldenSet", "metrics"):
        assert f"\n  {name}\t<" in fields
    steps = ok(kubectl, env, "explain", "mro.spec.steps")
    assert "FIELD: steps <[]Object>" in steps and "setWeight\t<integer>" in steps
    status = ok(kubectl, env, "explain", "modelrollout.status.stepNumber")
    assert "FIELD: stepNumber <integer>" in status and "counting from 1" in status


def _status(kube: KubeClient, name: str, status: dict[str, Any]) -> None:
    kube.patch(MODELROLLOUTS.path(NS, name, "status"), {"status": status})


def test_get_prints_the_crd_printer_columns(
    kubectl: Path, env: dict[str, str], kube: KubeClient
) -> None:
    ok(kubectl, env, "apply", "-f", "-", stdin=example())
    _status(
        kube,
        "poster-gen",
        {
            "phase": "Progressing",
            "currentStep": 3,
            "stepNumber": 4,
            "weights": {"stable": 90, "candidate": 10},
            "lastEvaluation": {
                "step": 1,
                "job": "e",
                "state": "Pass",
                "startedAt": "2026-01-05T09:40:00Z",
            },
            "message": "Progressing at step 4/8 (setWeight 10)",
            "conditions": [
                {
                    "type": "Stalled",
                    "status": "False",
                    "reason": "Progressing",
                    "lastTransitionTime": "2026-01-05T09:40:00Z",
                }
            ],
        },
    )
    header, row = ok(kubectl, env, "get", "mro", "-n", NS).splitlines()
    assert header.split() == ["NAME", "PHASE", "STEP", "CANDIDATE", "VERDICT", "AGE"]
    assert row.split()[:5] == ["poster-gen", "Progressing", "4", "10", "Pass"]
    assert row.split()[5].endswith("s")
    wide = ok(kubectl, env, "get", "modelrollouts", "-n", NS, "-o", "wide").splitlines()
    assert wide[0].split()[-2:] == ["STALLED", "MESSAGE"]
    assert wide[1].split()[6:] == [
        "Progressing",
        "Progressing",
        "at",
        "step",
        "4/8",
        "(setWeight",
        "10)",
    ]
    across = ok(kubectl, env, "get", "mro", "-A").splitlines()
    assert across[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert across[1].split()[:3] == [NS, "poster-gen", "Progressing"]
    named = ok(kubectl, env, "get", "mro", "poster-gen", "-n", NS, "--no-headers")
    assert named.split()[:2] == ["poster-gen", "Progressing"]
    columns = ok(
        kubectl,
        env,
        "get",
        "mro",
        "-n",
        NS,
        "-o",
        "custom-columns=N:.metadata.name,S:.status.stepNumber",
    )
    assert columns.splitlines()[1].split() == ["poster-gen", "4"]


def test_get_watch_streams_table_rows(
    cluster: LocalCluster, kubectl: Path, env: dict[str, str], kube: KubeClient, tmp_path: Path
) -> None:
    ok(kubectl, env, "apply", "-f", "-", stdin=example())
    watches = cluster.open_watches("pixelproof.dev", "modelrollouts")
    sink = tmp_path / "watch.out"
    with sink.open("w") as out:
        watcher = subprocess.Popen(
            [
                str(kubectl),
                "get",
                "mro",
                "poster-gen",
                "-n",
                NS,
                "--watch",
                "--request-timeout=20s",
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            wait_for(lambda: "poster-gen" in sink.read_text(), 60, "the first row")
            # kubectl watches one object from "now" and skips the stream's first event, the
            # state it printed already: a change made before the stream opens is never shown.
            wait_for(
                lambda: cluster.open_watches("pixelproof.dev", "modelrollouts") > watches,
                60,
                "kubectl's watch stream",
            )
            _status(kube, "poster-gen", {"phase": "Paused", "currentStep": 6, "stepNumber": 7})
            wait_for(lambda: "Paused" in sink.read_text(), 60, "the changed row")
        finally:
            watcher.kill()
            watcher.communicate(timeout=30)
    rows = [line.split() for line in sink.read_text().splitlines()]
    assert rows[0][:2] == ["NAME", "PHASE"]
    assert rows[-1][:3] == ["poster-gen", "Paused", "7"]


def test_built_in_kinds_get_their_usual_columns(
    kubectl: Path, env: dict[str, str], kube: KubeClient
) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "poster-gen-v1", "namespace": NS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "gen"}},
            "template": {
                "metadata": {"labels": {"app": "gen"}},
                "spec": {"containers": [{"name": "gen", "image": "gen:1"}]},
            },
        },
    }
    ok(kubectl, env, "apply", "-f", "-", stdin=yaml.safe_dump(deployment))
    header, row = ok(kubectl, env, "get", "deployments", "-n", NS).splitlines()
    assert header.split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert row.split()[:4] == ["poster-gen-v1", "2/2", "2", "2"]
    kube.create(CONFIGMAPS.path(NS), {"metadata": {"name": "poster-golden"}, "data": {}})
    header, row = ok(kubectl, env, "get", "configmaps", "-n", NS).splitlines()
    assert header.split() == ["NAME", "AGE"] and row.split()[0] == "poster-golden"


def test_protobuf_is_refused_naming_json(kubectl: Path, env: dict[str, str]) -> None:
    # kubectl's typed commands send built-in kinds as protobuf.
    done = run([str(kubectl), "create", "namespace", "by-protobuf"], env)
    assert done.returncode == 1
    assert "(UnsupportedMediaType)" in done.stderr
    assert "reads JSON only, not application/vnd.kubernetes.protobuf" in done.stderr
    assert "application/json" in done.stderr


def test_openapi_v2_is_named_as_not_served(kubectl: Path, env: dict[str, str]) -> None:
    done = run([str(kubectl), "get", "--raw", "/openapi/v2"], env)
    assert done.returncode == 1
    assert "serves OpenAPI v3 only" in done.stderr
    root = yaml.safe_load(ok(kubectl, env, "get", "--raw", "/openapi/v3"))
    assert "apis/pixelproof.dev/v1alpha1" in root["paths"]
