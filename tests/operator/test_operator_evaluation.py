"""Evaluator Jobs: the manifest the operator builds, and every outcome it reads back.

The evaluator container needs a GPU and live generator Services, which cannot run here:
the local cluster's job runner stands in for it and ends each pod the way a test chose
(a termination message with the evaluator's summary, an OOM kill, a crash with logs, a pod
stuck unschedulable or unable to pull its image). The Job and Pod objects the operator
reads are the ones the local cluster's Job controller wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pixelproof.api.evaluator_invocation import EvaluatorInvocation
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.evaluation.job import RolloutRef, evaluator_job
from pixelproof.evaluation.outcome import read_outcome
from pixelproof_localcluster import LocalCluster, PodOutcome, Terminated, Unschedulable, Waiting
from pixelproof_testkit.kube import DEPLOYMENTS, JOBS, NS, Kube
from pixelproof_testkit.manifests import create_namespace, rollout
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scenario import World, given
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator, summary

REF = RolloutRef("poster-gen", NS, "0b7d2c1e-5a8f-4f7e-9d51-3c2f1a0e9b77")


def _spec(**changes: Any) -> ModelRolloutSpec:
    return ModelRolloutSpec.model_validate(rollout(**changes)["spec"])


def test_job_runs_the_evaluator_command_with_the_rollouts_settings() -> None:
    spec = _spec(
        evaluator={
            "image": "registry.example/pixelproof-evaluator:0.1.0",
            "resources": {"limits": {"nvidia.com/gpu": 1, "memory": "24Gi"}},
            "nodeSelector": {"gpu": "l4"},
            "tolerations": [
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
            ],
            "serviceAccountName": "evaluator",
            "env": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
            "activeDeadlineSeconds": 900,
            "concurrency": 8,
            "reportsClaimName": "eval-reports",
        },
        qualityGates={"lpips": {"maxMean": 0.25}},
    )
    job = evaluator_job(
        REF,
        spec,
        job_name="poster-gen-abc123-s1-a2",
        step=1,
        attempt=2,
        tags=("typography", "alpha"),
    )
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == [
        "python",
        "-m",
        "pixelproof_evaluator",
        "evaluate",
        "--golden",
        "/golden",
        "--stable",
        "http://poster-stable.imagegen.svc:80",
        "--candidate",
        "http://poster-candidate.imagegen.svc:80",
        "--generator",
        '{"path":"/generate","port":80,"request":{},"timeoutSeconds":60.0}',
        "--gates",
        '{"lpips":{"maxMean":0.25}}',
        "--out",
        "/reports",
        "--tags",
        "typography,alpha",
        "--concurrency",
        "8",
    ]
    assert job["metadata"]["name"] == "poster-gen-abc123-s1-a2"
    assert job["metadata"]["labels"]["pixelproof.dev/rollout"] == "poster-gen"
    assert job["metadata"]["labels"]["pixelproof.dev/step"] == "1"
    assert job["metadata"]["labels"]["pixelproof.dev/attempt"] == "2"
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "ModelRollout",
        "poster-gen",
        REF.uid,
        True,
    )
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == 900
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert {"name": "PIXELPROOF_TERMINATION_LOG", "value": "/dev/termination-log"} in container[
        "env"
    ]
    assert {"name": "HF_HUB_OFFLINE", "value": "1"} in container["env"]
    assert container["resources"] == {"limits": {"nvidia.com/gpu": 1, "memory": "24Gi"}}
    assert pod["nodeSelector"] == {"gpu": "l4"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert pod["serviceAccountName"] == "evaluator"
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["golden"]["configMap"] == {"name": "poster-golden"}
    assert volumes["reports"]["persistentVolumeClaim"] == {"claimName": "eval-reports"}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {"golden": "/golden", "reports": "/reports", "tmp": "/tmp"}


def test_without_a_concurrency_the_job_passes_the_candidates_ready_replicas() -> None:
    unset = _spec(qualityGates={"lpips": {"maxMean": 0.25}})
    assert unset.evaluator is not None and unset.evaluator.concurrency is None
    command = _command(unset, candidate_replicas=3)
    assert command[command.index("--candidate-replicas") + 1] == "3"
    assert "--concurrency" not in command
    assert EvaluatorInvocation.from_argv(command[4:]).effective_concurrency == 3
    evaluator = {**rollout()["spec"]["evaluator"], "concurrency": 8}
    given = _spec(evaluator=evaluator, qualityGates={"lpips": {"maxMean": 0.25}})
    command = _command(given, candidate_replicas=3)
    assert command[command.index("--concurrency") + 1] == "8"
    assert "--candidate-replicas" not in command


def _command(spec: ModelRolloutSpec, *, candidate_replicas: int) -> list[str]:
    job = evaluator_job(
        REF, spec, job_name="j", step=1, attempt=1, candidate_replicas=candidate_replicas
    )
    command: list[str] = job["spec"]["template"]["spec"]["containers"][0]["command"]
    return command


def test_golden_set_from_a_claim_or_a_pinned_url() -> None:
    from_pvc = evaluator_job(
        REF,
        _spec(
            goldenSet={
                "pvc": {"claimName": "golden-sets", "path": "/posters/v3"},
                "manifest": "set.yaml",
            }
        ),
        job_name="j",
        step=1,
        attempt=1,
    )
    pod = from_pvc["spec"]["template"]["spec"]
    golden_mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "golden")
    assert golden_mount["subPath"] == "posters/v3"
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "golden-sets"
    command = pod["containers"][0]["command"]
    assert command[command.index("--golden") + 1] == "/golden/set.yaml"
    assert {"name": "reports", "emptyDir": {}} in pod["volumes"]

    digest = "a" * 64
    from_url = evaluator_job(
        REF,
        _spec(goldenSet={"url": {"href": "https://example.com/golden.tgz", "sha256": digest}}),
        job_name="j",
        step=1,
        attempt=1,
    )
    pod = from_url["spec"]["template"]["spec"]
    command = pod["containers"][0]["command"]
    assert "--golden" not in command
    assert command[command.index("--golden-url") + 1] == "https://example.com/golden.tgz"
    assert command[command.index("--golden-sha256") + 1] == digest
    assert [v["name"] for v in pod["volumes"]] == ["reports", "tmp"]


def _run_job(
    cluster: LocalCluster,
    kube: Kube,
    evaluator: ScriptedEvaluator,
    outcome: PodOutcome,
    *,
    settled: str,
    active_deadline: int | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Create an evaluator Job in the cluster and wait until its pod is `settled`
    ("terminated", "waiting", "unschedulable" or "deadline")."""
    create_namespace(kube)
    evaluator.script(1, outcome)
    job = evaluator_job(REF, _spec(), job_name="poster-gen-eval", step=1, attempt=1)
    if active_deadline is not None:
        # The API's minimum of 30 s is too slow for a test; the Job controller honours any value.
        job["spec"]["activeDeadlineSeconds"] = active_deadline
    kube.create(JOBS, job)

    def pods() -> list[dict[str, Any]]:
        return kube.list(f"/api/v1/namespaces/{NS}/pods", "job-name=poster-gen-eval")

    def done() -> bool:
        live = pods()
        if settled == "deadline":
            conditions = (kube.get(f"{JOBS}/poster-gen-eval").get("status") or {}).get("conditions")
            return any(c["type"] == "Failed" for c in conditions or [])
        if not live:
            return False
        status = live[0].get("status") or {}
        state = (status.get("containerStatuses") or [{}])[0].get("state") or {}
        if settled == "unschedulable":
            return any(
                c["type"] == "PodScheduled" and c["status"] == "False"
                for c in status.get("conditions") or []
            )
        return settled in state

    wait_for(done, 10, f"the evaluator pod to be {settled}")
    return kube.get(f"{JOBS}/poster-gen-eval"), pods()


NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("outcome", "state", "words"),
    [
        (Terminated(0, message=summary("Pass")), "Pass", "evaluation Pass"),
        (
            Terminated(1, message=summary("Fail", "typography pass rate 0.62 < 0.95")),
            "Fail",
            "typography pass rate 0.62 < 0.95",
        ),
        (
            Terminated(3, message=summary("Inconclusive", "stable answered 503 to 9 of 12 items")),
            "Inconclusive",
            "stable answered 503",
        ),
        (Terminated(137, "OOMKilled"), "Fail", "OOMKilled"),
        (
            Terminated(
                1,
                message="Traceback (most recent call last):\n  ...\n"
                "RuntimeError: CUDA error: an illegal memory access was encountered",
            ),
            "Fail",
            "exited with code 1 without a summary: Traceback",
        ),
    ],
    ids=["pass", "fail", "inconclusive", "oom", "crash-with-logs"],
)
def test_finished_pod_outcomes(
    cluster: LocalCluster,
    kube: Kube,
    evaluator: ScriptedEvaluator,
    outcome: Terminated,
    state: str,
    words: str,
) -> None:
    job, pods = _run_job(cluster, kube, evaluator, outcome, settled="terminated")
    reading = read_outcome(job, pods, pending_deadline_seconds=10, now=NOW)
    assert reading.state == state
    assert words in reading.message
    if outcome.message.startswith("{"):
        assert reading.summary is not None and reading.summary.gates[0].name == "lpips"


@pytest.mark.parametrize(
    ("outcome", "settled", "words"),
    [
        (
            Unschedulable("0/4 nodes are available: 4 Insufficient nvidia.com/gpu."),
            "unschedulable",
            "4 Insufficient nvidia.com/gpu",
        ),
        (
            Waiting("ImagePullBackOff", 'Back-off pulling image "registry.example/evaluator"'),
            "waiting",
            "cannot be pulled: ImagePullBackOff",
        ),
    ],
    ids=["no-gpu-free", "image-pull-error"],
)
def test_pod_that_cannot_start_is_inconclusive_after_the_pending_deadline(
    cluster: LocalCluster,
    kube: Kube,
    evaluator: ScriptedEvaluator,
    outcome: PodOutcome,
    settled: str,
    words: str,
) -> None:
    job, pods = _run_job(cluster, kube, evaluator, outcome, settled=settled)
    before = read_outcome(job, pods, pending_deadline_seconds=600, now=datetime.now(UTC))
    assert before.state == "Running"
    assert words in before.message
    after = read_outcome(
        job, pods, pending_deadline_seconds=600, now=datetime.now(UTC) + timedelta(seconds=601)
    )
    assert after.state == "Inconclusive"
    assert words in after.message and "pendingDeadlineSeconds 600" in after.message


def test_job_past_its_active_deadline_is_inconclusive(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    job, pods = _run_job(
        cluster, kube, evaluator, Unschedulable(), settled="deadline", active_deadline=1
    )
    reading = read_outcome(job, pods, pending_deadline_seconds=600, now=datetime.now(UTC))
    assert reading.state == "Inconclusive"
    assert "activeDeadlineSeconds 1" in reading.message


def test_oom_killed_evaluator_rolls_back_with_the_reason(world: World) -> None:
    (
        given(world).namespace().evaluations(1, Terminated(137, "OOMKilled")).rollout()
        .when().apply()
        .then().expect_phase("RolledBack")
        .expect_rollback_reason("OOMKilled")
        .expect_status(weights={"stable": 100, "candidate": 0})
    )  # fmt: skip


def test_unschedulable_evaluator_ends_inconclusive_and_the_next_attempt_runs(world: World) -> None:
    no_gpu = Unschedulable("0/4 nodes are available: 4 Insufficient nvidia.com/gpu.")
    steps = [{"setWeight": 10}, {"evaluate": {"maxAttempts": 2}}, {"setWeight": 50}]
    (
        given(world).namespace().evaluations(1, no_gpu).rollout(steps=steps)
        .when().apply()
        .then().expect_phase("Succeeded", timeout=40)
        # The stuck first attempt is deleted so it cannot grab a GPU later.
        .expect_jobs("attempt", ["2"])
        .expect_events("EvaluationInconclusive")
        .expect_event(
            "EvaluationInconclusive", "Insufficient nvidia.com/gpu", "pendingDeadlineSeconds 10"
        )
    )  # fmt: skip


def test_the_evaluator_job_sends_one_request_per_ready_candidate_replica(world: World) -> None:
    then = (
        given(world).namespace().rollout(steps=[{"evaluate": {}}, {"setWeight": 100}])
        .when().apply()
        .then().expect_job_count(1)
    )  # fmt: skip
    kube = then.scenario.kube
    command = kube.list(JOBS)[0]["spec"]["template"]["spec"]["containers"][0]["command"]
    candidate = kube.get(f"{DEPLOYMENTS}/{then.scenario.rollout_spec['candidate']['deployment']}")
    ready = candidate["status"]["readyReplicas"]
    assert ready >= 1
    assert command[command.index("--candidate-replicas") + 1] == str(ready)
    assert "--concurrency" not in command
