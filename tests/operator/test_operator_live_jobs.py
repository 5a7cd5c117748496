"""Job and recorder manifests for live traffic: what the evaluator Job of a live step is
told, and what the recorder Deployment runs."""

from __future__ import annotations

from typing import Any

import pytest

from pixelproof.api.evaluator_invocation import EvaluatorInvocation
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.evaluation.job import RolloutRef, evaluator_job
from pixelproof.evaluation.recorder import recorder_deployment, recorder_service
from pixelproof_testkit.engine import make_spec

REF = RolloutRef("poster-gen", "imagegen", "uid-1")
STEPS: list[dict[str, Any]] = [{"evaluate": {}}, {"evaluate": {"source": "live", "count": 80}}]


def _argv(live: dict[str, Any], step: int) -> tuple[EvaluatorInvocation, dict[str, Any]]:
    spec = ModelRolloutSpec.model_validate(make_spec(STEPS, liveTraffic=live))
    job = evaluator_job(REF, spec, job_name="j", step=step, attempt=1)
    pod = job["spec"]["template"]["spec"]
    argv = pod["containers"][0]["command"]
    assert argv[:4] == ["python", "-m", "pixelproof_evaluator", "evaluate"]
    return EvaluatorInvocation.from_argv(argv[4:]), pod


def test_a_golden_step_gets_no_live_source() -> None:
    invocation, _ = _argv({}, 0)
    assert invocation.live_source is None
    assert invocation.golden == "/golden"


def test_a_live_step_judges_recorded_prompts_alone() -> None:
    invocation, _ = _argv({}, 1)
    assert invocation.golden is None and invocation.golden_url is None


def test_a_live_step_replays_the_rollouts_recorder() -> None:
    invocation, _ = _argv({"recorder": {"allowPromptText": True}}, 1)
    assert invocation.live_source == "http://poster-gen-recorder.imagegen.svc:8080/samples"
    assert (invocation.live_count, invocation.live_min_count) == (80, 50)
    assert invocation.allow_prompt_text is True
    assert invocation.live_source_sha256 is None


def test_a_pinned_prompt_log_url_is_passed_with_its_digest() -> None:
    log = {"href": "https://logs.example/prompts.jsonl", "sha256": "a" * 64}
    invocation, _ = _argv({"promptLog": {"url": log}}, 1)
    assert invocation.live_source == log["href"]
    assert invocation.live_source_sha256 == "a" * 64
    assert invocation.allow_prompt_text is False


def test_a_configmap_prompt_log_is_mounted_and_read_as_a_file() -> None:
    invocation, pod = _argv({"promptLog": {"configMap": {"name": "prompts", "key": "p.jsonl"}}}, 1)
    assert invocation.live_source == "/live/p.jsonl"
    assert {"name": "live", "configMap": {"name": "prompts"}} in pod["volumes"]
    mounts = pod["containers"][0]["volumeMounts"]
    assert {"name": "live", "mountPath": "/live", "readOnly": True} in mounts


def test_the_recorder_runs_the_evaluator_image_unless_told_otherwise() -> None:
    spec = ModelRolloutSpec.model_validate(make_spec(STEPS, liveTraffic={}))
    container = recorder_deployment(REF, spec)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example/pixelproof-evaluator:0.1.0"
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    other = make_spec(
        STEPS, liveTraffic={"recorder": {"image": "rec:1", "resources": {"limits": {"cpu": "1"}}}}
    )
    spec = ModelRolloutSpec.model_validate(other)
    container = recorder_deployment(REF, spec)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "rec:1"
    assert container["resources"] == {"limits": {"cpu": "1"}}


def test_the_recorder_service_selects_only_its_own_pods() -> None:
    spec = ModelRolloutSpec.model_validate(make_spec(STEPS, liveTraffic={}))
    deployment = recorder_deployment(REF, spec)
    service = recorder_service(REF)
    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"]["app.kubernetes.io/instance"] == "poster-gen-recorder"
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": 8080}]


def test_a_recorder_without_an_image_to_run_is_refused_by_the_validation() -> None:
    from pixelproof.api.validation import check_spec

    spec = make_spec([{"setWeight": 10}], liveTraffic={})
    errors = check_spec(spec).errors
    assert any(e.startswith("spec.liveTraffic.recorder.image: required") for e in errors), errors
    with pytest.raises(ValueError, match=r"recorder\.image"):
        recorder_deployment(REF, ModelRolloutSpec.model_validate(spec))
