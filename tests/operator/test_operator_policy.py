"""What the operator's configuration allows a rollout to make it do: the evaluator Job's
ServiceAccount and image, and the metric provider's address. A rollout asking for more
Stalls with the field named, and no Job is ever created for it. Evaluator pods run
under the restricted Pod Security Standard."""

from __future__ import annotations

from typing import Any

import pytest

from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.controller.main import OperatorConfig, parser
from pixelproof.controller.policy import RolloutPolicy
from pixelproof.engine.spec import parse_spec
from pixelproof.evaluation.job import RolloutRef, evaluator_job
from pixelproof.evaluation.policy import EvaluatorPolicy, image_allowed
from pixelproof_localcluster import LocalCluster
from pixelproof_testkit.kube import JOBS, NS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator

IMAGE_REPO = "registry.example/pixelproof-evaluator"
ALLOWED = {
    "evaluator_service_accounts": ["pixelproof-evaluator"],
    "evaluator_image_prefixes": [IMAGE_REPO],
}


def _stall_message(kube: Kube) -> str | None:
    status = kube.status("poster-gen") or {}
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    stall = conditions.get("Stalled")
    return stall["message"] if stall and stall["status"] == "True" else None


def _evaluator(**changes: Any) -> dict[str, Any]:
    return {
        "image": f"{IMAGE_REPO}:0.1.0",
        "serviceAccountName": "pixelproof-evaluator",
        "pendingDeadlineSeconds": 10,
        "activeDeadlineSeconds": 60,
        **changes,
    }


@pytest.mark.parametrize(
    ("evaluator", "field", "words"),
    [
        (
            _evaluator(serviceAccountName="deployer"),
            "spec.evaluator.serviceAccountName",
            "'deployer' is not allowed",
        ),
        (
            _evaluator(serviceAccountName=None),
            "spec.evaluator.serviceAccountName",
            "unset (the namespace's 'default' ServiceAccount) is not allowed",
        ),
        (
            _evaluator(image="docker.io/attacker/miner:latest"),
            "spec.evaluator.image",
            "'docker.io/attacker/miner:latest' is not allowed",
        ),
        (
            _evaluator(image=f"{IMAGE_REPO}-debug:0.1.0"),
            "spec.evaluator.image",
            f"'{IMAGE_REPO}-debug:0.1.0' is not allowed",
        ),
    ],
    ids=["other-account", "default-account", "other-registry", "lookalike-repository"],
)
def test_disallowed_evaluator_stalls_the_rollout_before_any_job(
    cluster: LocalCluster, kube: Kube, evaluator: dict[str, Any], field: str, words: str
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster, **ALLOWED):
        kube.create(ROLLOUTS, rollout(steps=[{"evaluate": {}}], evaluator=evaluator))
        message = wait_for(lambda: _stall_message(kube), 30, "the Stalled condition")
        events = kube.wait_for_events("poster-gen", "InvalidSpec")
    assert f"{field}: {words}" in message
    assert "not allowed by the operator's configuration" in message
    assert any(field in e["message"] for e in events)
    assert kube.list(JOBS) == []


def test_allowed_evaluator_runs_with_the_restricted_security_context(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    seed_namespace(kube)
    with operator_in_thread(cluster, **ALLOWED):
        kube.create(ROLLOUTS, rollout(steps=[{"evaluate": {}}], evaluator=_evaluator()))
        wait_for(lambda: (kube.status("poster-gen") or {}).get("phase") == "Succeeded", 40, "done")
    assert _stall_message(kube) is None
    [pod] = evaluator.pods
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_disallowed_metric_address_stalls_naming_the_field(
    cluster: LocalCluster, kube: Kube
) -> None:
    seed_namespace(kube)
    metrics = {
        "prometheus": {"address": "http://169.254.169.254/latest"},
        "gates": [{"name": "errors", "query": "vector(0)", "max": 1}],
    }
    allowed = ["http://prometheus.monitoring.svc:9090"]
    with operator_in_thread(cluster, allowed_metric_addresses=allowed):
        kube.create(ROLLOUTS, rollout(steps=[{"setWeight": 10}], metrics=metrics))
        message = wait_for(lambda: _stall_message(kube), 30, "the Stalled condition")
    assert (
        "spec.metrics.prometheus.address: 'http://169.254.169.254/latest' is not allowed" in message
    )
    assert "allowed: http://prometheus.monitoring.svc:9090" in message
    # Refused before anything was acted on: the candidate never got traffic.
    assert not (kube.status("poster-gen") or {}).get("trafficShifted")


def test_evaluator_pod_is_non_root_read_only_and_without_capabilities() -> None:
    spec = ModelRolloutSpec.model_validate(rollout(evaluator=_evaluator())["spec"])
    job = evaluator_job(RolloutRef("poster-gen", NS, "uid"), spec, job_name="j", step=1, attempt=1)
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["securityContext"] == {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    # Everything the evaluator writes lands on a volume, never the image.
    assert volumes[mounts["/tmp"]] == {"name": "tmp", "emptyDir": {}}
    assert "emptyDir" in volumes[mounts["/reports"]]
    assert {"name": "HOME", "value": "/tmp"} in container["env"]
    assert pod["serviceAccountName"] == "pixelproof-evaluator"
    assert pod["automountServiceAccountToken"] is False


def test_a_home_of_the_rollouts_own_is_kept() -> None:
    evaluator = _evaluator(env=[{"name": "HOME", "value": "/reports"}])
    spec = ModelRolloutSpec.model_validate(rollout(evaluator=evaluator)["spec"])
    job = evaluator_job(RolloutRef("poster-gen", NS, "uid"), spec, job_name="j", step=1, attempt=1)
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["value"] for e in env if e["name"] == "HOME"] == ["/reports"]


@pytest.mark.parametrize(
    ("image", "allowed"),
    [
        (f"{IMAGE_REPO}:0.1.0", True),
        (f"{IMAGE_REPO}@sha256:{'a' * 64}", True),
        (IMAGE_REPO, True),
        (f"{IMAGE_REPO}-debug:0.1.0", False),
        (f"{IMAGE_REPO}/../other:1", True),
        ("registry.example.evil/pixelproof-evaluator:0.1.0", False),
        ("docker.io/library/python:3.12", False),
    ],
)
def test_image_prefixes_match_at_a_boundary(image: str, allowed: bool) -> None:
    assert image_allowed(image, [IMAGE_REPO]) is allowed


def test_a_registry_prefix_allows_that_registry_only() -> None:
    assert image_allowed("registry.example/team/evaluator:1", ["registry.example"])
    assert image_allowed("registry.example/team/evaluator:1", ["registry.example/"])
    assert not image_allowed("registry.example.evil/evaluator:1", ["registry.example"])
    assert not image_allowed("registry.example:5000/evaluator:1", ["registry.example"])


def test_an_empty_policy_allows_what_it_allowed_before() -> None:
    parsed = parse_spec(rollout(evaluator={"image": "anything:1"})["spec"])
    assert RolloutPolicy().screen(parsed) is parsed
    assert EvaluatorPolicy().problems(parsed.model) == []  # type: ignore[arg-type]


def test_options_come_from_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXELPROOF_EVALUATOR_IMAGE_PREFIXES", "ghcr.io/a/eval, ghcr.io/b/eval")
    monkeypatch.setenv("PIXELPROOF_ALLOWED_METRIC_ADDRESSES", "prometheus.monitoring.svc:9090")
    args = parser().parse_args(
        [
            "--evaluator-service-accounts=pixelproof-evaluator",
            "--evaluator-image-prefixes=registry.example/pixelproof-evaluator",
        ]
    )
    assert args.evaluator_service_accounts == ["pixelproof-evaluator"]
    assert args.evaluator_image_prefixes == [
        "ghcr.io/a/eval",
        "ghcr.io/b/eval",
        "registry.example/pixelproof-evaluator",
    ]
    assert args.allowed_metric_addresses == ["prometheus.monitoring.svc:9090"]
    policy = OperatorConfig(allowed_metric_addresses=args.allowed_metric_addresses).policy()
    assert policy.metric_addresses.allows("http://prometheus.monitoring.svc:9090/")
    assert not policy.metric_addresses.allows("http://prometheus.monitoring.svc:9091")


def test_a_malformed_allow_list_entry_is_refused_at_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pixelproof.controller.main import main

    with pytest.raises(SystemExit) as exited:
        main(["--allowed-metric-address=http://:9090"])
    assert exited.value.code == 2
    assert "names no host" in capsys.readouterr().err
