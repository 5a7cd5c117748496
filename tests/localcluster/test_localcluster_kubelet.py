"""The stand-in kubelet: Deployment readiness and Jobs run as local processes.

Containers cannot run here; Job pods run as local subprocesses (LocalProcessJobRunner)
or through a test's own runner, which stands in for the container runtime.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes
import pytest

from pixelproof_localcluster import (
    HOLD_UNREADY_ANNOTATION,
    TERMINATION_LOG_ENV,
    JobRunner,
    LocalCluster,
    LocalProcessJobRunner,
    PodOutcome,
    Terminated,
)
from pixelproof_testkit.polling import wait_for

IMAGE = "registry.example/toy-job:1.0"
GPU = "nvidia.com/gpu"


@pytest.fixture
def start_cluster() -> Iterator[Callable[..., LocalCluster]]:
    clusters: list[LocalCluster] = []

    def start(**kwargs: Any) -> LocalCluster:
        cluster = LocalCluster(**kwargs)
        cluster.start()
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()


def _deployment(name: str, replicas: int, annotations: dict[str, str] | None = None) -> Any:
    labels = {"app": name}
    return {
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "main", "image": "x"}]},
            },
        },
    }


def test_deployment_status_follows_replicas(start_cluster: Callable[..., LocalCluster]) -> None:
    cluster = start_cluster()
    apps = kubernetes.client.AppsV1Api(cluster.client())
    apps.create_namespaced_deployment("default", _deployment("gen", 2))

    def ready(count: int) -> Callable[[], bool]:
        def check() -> bool:
            status = apps.read_namespaced_deployment_status("gen", "default").status
            return status.ready_replicas == count and status.available_replicas == count

        return check

    wait_for(ready(2), what="2 ready replicas")
    apps.patch_namespaced_deployment_scale("gen", "default", {"spec": {"replicas": 4}})
    wait_for(ready(4), what="4 ready replicas after scaling")
    deployment = apps.read_namespaced_deployment("gen", "default")
    assert deployment.metadata.generation == 2
    assert deployment.status.observed_generation == 2
    assert apps.read_namespaced_deployment_scale("gen", "default").status.replicas == 4


def test_deployment_can_be_held_unready(start_cluster: Callable[..., LocalCluster]) -> None:
    cluster = start_cluster()
    apps = kubernetes.client.AppsV1Api(cluster.client())
    apps.create_namespaced_deployment(
        "default", _deployment("cand", 3, {HOLD_UNREADY_ANNOTATION: "true"})
    )

    def status() -> Any:
        return apps.read_namespaced_deployment_status("cand", "default").status

    held = wait_for(lambda: status().observed_generation == 1 and status(), what="observation")
    assert not held.ready_replicas and held.unavailable_replicas == 3
    available = {c.type: c.status for c in held.conditions}["Available"]
    assert available == "False"

    apps.patch_namespaced_deployment(
        "cand", "default", {"metadata": {"annotations": {HOLD_UNREADY_ANNOTATION: None}}}
    )
    wait_for(lambda: status().ready_replicas == 3, what="readiness once released")


def test_deployment_becomes_ready_after_the_delay(
    start_cluster: Callable[..., LocalCluster],
) -> None:
    cluster = start_cluster(deployment_ready_delay=0.5)
    apps = kubernetes.client.AppsV1Api(cluster.client())
    apps.create_namespaced_deployment("default", _deployment("slow", 1))
    first = wait_for(
        lambda: (
            (
                s := apps.read_namespaced_deployment_status("slow", "default").status
            ).observed_generation
            == 1
            and s
        ),
        what="observation",
    )
    assert not first.ready_replicas
    wait_for(
        lambda: (
            apps.read_namespaced_deployment_status("slow", "default").status.ready_replicas == 1
        ),
        what="readiness after the delay",
    )


def _job(
    name: str,
    script: str,
    *,
    backoff_limit: int = 0,
    deadline: int | None = None,
    image: str = IMAGE,
    resources: dict[str, Any] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "main",
        "image": image,
        "args": [textwrap.dedent(script)],
        "env": [{"name": "GREETING", "value": "hello"}],
    }
    if resources:
        container["resources"] = resources
    spec: dict[str, Any] = {
        "backoffLimit": backoff_limit,
        "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
    }
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    return {"metadata": {"name": name}, "spec": spec}


def _runner(**kwargs: Any) -> LocalProcessJobRunner:
    return LocalProcessJobRunner({IMAGE: [sys.executable, "-c"]}, **kwargs)


def _finished_condition(batch: Any, name: str) -> Any:
    def check() -> Any:
        job = batch.read_namespaced_job_status(name, "default")
        done = [
            c
            for c in job.status.conditions or []
            if c.type in ("Complete", "Failed") and c.status == "True"
        ]
        return done and (job, done[0])

    return wait_for(check, timeout=30, what=f"job {name} to finish")


def _pod_of(core: Any, job: Any) -> Any:
    pods = core.list_namespaced_pod(
        "default", label_selector=f"controller-uid={job.metadata.uid}"
    ).items
    assert len(pods) >= 1
    return pods[-1]


def test_job_runs_a_local_process_and_reports_its_termination_message(
    start_cluster: Callable[..., LocalCluster],
) -> None:
    cluster = start_cluster(job_runner=_runner())
    client = cluster.client()
    batch, core = kubernetes.client.BatchV1Api(client), kubernetes.client.CoreV1Api(client)
    batch.create_namespaced_job(
        "default",
        _job(
            "ok",
            f"""
        import os, pathlib
        path = pathlib.Path(os.environ["{TERMINATION_LOG_ENV}"])
        path.write_text(os.environ["GREETING"] + " from the pod")
    """,
        ),
    )
    job, condition = _finished_condition(batch, "ok")
    assert condition.type == "Complete"
    assert job.status.succeeded == 1 and not job.status.active
    pod = _pod_of(core, job)
    assert pod.metadata.labels["job-name"] == "ok"
    assert pod.metadata.owner_references[0].uid == job.metadata.uid
    assert pod.status.phase == "Succeeded"
    terminated = pod.status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason) == (0, "Completed")
    assert terminated.message == "hello from the pod"

    batch.delete_namespaced_job("ok", "default")
    wait_for(
        lambda: not core.list_namespaced_pod("default").items,
        what="the job's pod to be garbage-collected",
    )


def test_failing_job_reports_exit_code_and_backoff(
    start_cluster: Callable[..., LocalCluster],
) -> None:
    cluster = start_cluster(job_runner=_runner())
    client = cluster.client()
    batch, core = kubernetes.client.BatchV1Api(client), kubernetes.client.CoreV1Api(client)
    batch.create_namespaced_job(
        "default",
        _job(
            "bad",
            """
        import os, sys
        open(os.environ["PIXELPROOF_TERMINATION_LOG"], "w").write("golden set missing")
        sys.exit(3)
    """,
            backoff_limit=1,
        ),
    )
    job, condition = _finished_condition(batch, "bad")
    assert (condition.type, condition.reason) == ("Failed", "BackoffLimitExceeded")
    assert job.status.failed == 2
    terminated = _pod_of(core, job).status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason) == (3, "Error")
    assert terminated.message == "golden set missing"


def test_job_past_its_deadline_fails_with_deadline_exceeded(
    start_cluster: Callable[..., LocalCluster],
) -> None:
    cluster = start_cluster(job_runner=_runner())
    batch = kubernetes.client.BatchV1Api(cluster.client())
    batch.create_namespaced_job("default", _job("hang", "import time; time.sleep(60)", deadline=1))
    job, condition = _finished_condition(batch, "hang")
    assert (condition.type, condition.reason) == ("Failed", "DeadlineExceeded")
    assert job.status.failed == 1


def test_unmapped_image_stays_in_image_pull_backoff(
    start_cluster: Callable[..., LocalCluster],
) -> None:
    cluster = start_cluster(job_runner=_runner())
    client = cluster.client()
    batch, core = kubernetes.client.BatchV1Api(client), kubernetes.client.CoreV1Api(client)
    batch.create_namespaced_job("default", _job("pull", "pass", image="registry.example/nope:0"))

    def waiting() -> Any:
        pods = core.list_namespaced_pod("default", label_selector="job-name=pull").items
        statuses = pods[0].status.container_statuses if pods else None
        return statuses and statuses[0].state.waiting

    state = wait_for(waiting, what="the pod to be stuck pulling its image")
    assert state.reason == "ImagePullBackOff"
    assert batch.read_namespaced_job_status("pull", "default").status.active == 1


def test_gpu_pod_can_be_left_unschedulable(start_cluster: Callable[..., LocalCluster]) -> None:
    cluster = start_cluster(job_runner=_runner(unschedulable_resources=[GPU]))
    client = cluster.client()
    batch, core = kubernetes.client.BatchV1Api(client), kubernetes.client.CoreV1Api(client)
    batch.create_namespaced_job("default", _job("gpu", "pass", resources={"limits": {GPU: "1"}}))

    def scheduled_condition() -> Any:
        pods = core.list_namespaced_pod("default", label_selector="job-name=gpu").items
        conditions = (pods[0].status.conditions or []) if pods else []
        return next((c for c in conditions if c.type == "PodScheduled"), None)

    condition = wait_for(scheduled_condition, what="the pod to be marked unschedulable")
    assert (condition.status, condition.reason) == ("False", "Unschedulable")
    assert GPU in condition.message
    pod = core.list_namespaced_pod("default", label_selector="job-name=gpu").items[0]
    assert pod.status.phase == "Pending"


def test_a_test_supplied_runner_decides_the_outcome(
    start_cluster: Callable[..., LocalCluster],
) -> None:
    seen: list[str] = []

    async def oom_runner(pod: dict[str, Any], started: Callable[[], None]) -> PodOutcome:
        seen.append(pod["spec"]["containers"][0]["image"])
        started()
        return Terminated(137)

    runner: JobRunner = oom_runner
    cluster = start_cluster(job_runner=runner)
    client = cluster.client()
    batch, core = kubernetes.client.BatchV1Api(client), kubernetes.client.CoreV1Api(client)
    batch.create_namespaced_job("default", _job("oom", "pass"))
    job, condition = _finished_condition(batch, "oom")
    assert condition.type == "Failed"
    terminated = _pod_of(core, job).status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason) == (137, "OOMKilled")
    assert seen == [IMAGE]
