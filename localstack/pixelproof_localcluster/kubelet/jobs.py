"""Jobs: one pod at a time, run by a ``JobRunner``, retried up to spec.backoffLimit.

The controller writes what the Job controller and kubelet would: the pod's phase and
container state, and the Job's active/succeeded/failed counters and conditions,
including DeadlineExceeded once spec.activeDeadlineSeconds has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from typing import Any

from pixelproof_localcluster import errors, patching
from pixelproof_localcluster.kubelet import pod_status
from pixelproof_localcluster.kubelet.conditions import carry_times, condition
from pixelproof_localcluster.kubelet.outcomes import JobRunner, PodOutcome, Terminated, Waiting
from pixelproof_localcluster.resources import ResourceSpec
from pixelproof_localcluster.store import ObjectStore, WatchEvent, utc_now

logger = logging.getLogger(__name__)


def _finished(job: dict[str, Any]) -> bool:
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


class JobController:
    def __init__(self, store: ObjectStore, runner: JobRunner | None) -> None:
        self._store = store
        self._runner = runner
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._pods: dict[str, asyncio.Task[PodOutcome]] = {}

    def start(self) -> None:
        self._store.add_listener(self._on_event)

    async def stop(self) -> None:
        tasks = list(self._jobs.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _specs(self) -> tuple[ResourceSpec, ResourceSpec]:
        job_spec = self._store.registry.get("batch", "v1", "jobs")
        pod_spec = self._store.registry.get("", "v1", "pods")
        assert job_spec is not None and pod_spec is not None
        return job_spec, pod_spec

    def _on_event(self, spec: ResourceSpec, event: WatchEvent) -> None:
        uid = event.object["metadata"]["uid"]
        if spec.storage_key == ("", "pods") and event.type == "DELETED":
            if (pod_task := self._pods.get(uid)) is not None:
                pod_task.cancel()
            return
        if spec.storage_key != ("batch", "jobs"):
            return
        if event.type == "DELETED":
            if (job_task := self._jobs.pop(uid, None)) is not None:
                job_task.cancel()
            return
        job = event.object
        if uid in self._jobs or _finished(job) or (job.get("spec") or {}).get("suspend"):
            return
        meta = job["metadata"]
        task = asyncio.get_running_loop().create_task(
            self._run_job(meta.get("namespace"), meta["name"]), name=f"job {meta['name']}"
        )
        self._jobs[uid] = task
        task.add_done_callback(self._report_failure)

    @staticmethod
    def _report_failure(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("Job controller failed in %s", task.get_name(), exc_info=task.exception())

    def _patch_job_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        job_spec, _ = self._specs()
        self._store.patch(
            job_spec, namespace, name, patching.MERGE_PATCH, {"status": status}, "status"
        )

    def _finish_job(
        self, namespace: str, name: str, *, succeeded: bool, reason: str, message: str
    ) -> None:
        job_spec, _ = self._specs()
        job = self._store.get(job_spec, namespace, name)
        status = job.get("status") or {}
        if succeeded:
            conditions = [
                condition("SuccessCriteriaMet", True, reason, message),
                condition("Complete", True, reason, message),
            ]
        else:
            conditions = [
                condition("FailureTarget", True, reason, message),
                condition("Failed", True, reason, message),
            ]
        update: dict[str, Any] = {
            "active": None,
            "ready": 0,
            "conditions": carry_times(status.get("conditions"), conditions),
        }
        if succeeded:
            update["succeeded"] = int(status.get("succeeded", 0)) + 1
            update["completionTime"] = utc_now()
        self._patch_job_status(namespace, name, update)

    async def _run_job(self, namespace: str, name: str) -> None:
        job_spec, _ = self._specs()
        job = self._store.get(job_spec, namespace, name)
        self._patch_job_status(namespace, name, {"startTime": utc_now(), "active": 1, "ready": 0})
        deadline = (job.get("spec") or {}).get("activeDeadlineSeconds")
        backoff_limit = int((job.get("spec") or {}).get("backoffLimit", 6))
        pod: dict[str, Any] | None = None
        try:
            async with asyncio.timeout(float(deadline) if deadline is not None else None):
                failed = 0
                while True:
                    pod = self._create_pod(job)
                    outcome = await self._run_pod(pod)
                    if outcome.exit_code == 0:
                        self._finish_job(
                            namespace,
                            name,
                            succeeded=True,
                            reason="CompletionsReached",
                            message="Reached expected number of succeeded pods",
                        )
                        return
                    failed += 1
                    self._patch_job_status(namespace, name, {"failed": failed})
                    if failed > backoff_limit:
                        self._finish_job(
                            namespace,
                            name,
                            succeeded=False,
                            reason="BackoffLimitExceeded",
                            message="Job has reached the specified backoff limit",
                        )
                        return
        except TimeoutError:
            self._fail_pod_on_deadline(pod)
            job = self._store.get(job_spec, namespace, name)
            failed_pods = int((job.get("status") or {}).get("failed", 0)) + 1
            self._patch_job_status(namespace, name, {"failed": failed_pods})
            self._finish_job(
                namespace,
                name,
                succeeded=False,
                reason="DeadlineExceeded",
                message="Job was active longer than specified deadline",
            )
        except errors.StatusFailure as exc:
            if exc.status != 404:
                raise

    def _create_pod(self, job: dict[str, Any]) -> dict[str, Any]:
        _, pod_spec = self._specs()
        meta = job["metadata"]
        template = copy.deepcopy((job.get("spec") or {}).get("template") or {})
        template_meta = template.get("metadata") or {}
        labels = {
            **(template_meta.get("labels") or {}),
            "job-name": meta["name"],
            "controller-uid": meta["uid"],
            "batch.kubernetes.io/job-name": meta["name"],
            "batch.kubernetes.io/controller-uid": meta["uid"],
        }
        pod = {
            "metadata": {
                "generateName": f"{meta['name']}-",
                "namespace": meta.get("namespace"),
                "labels": labels,
                "annotations": template_meta.get("annotations") or {},
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": template.get("spec") or {},
        }
        return self._store.create(pod_spec, meta.get("namespace"), pod)

    def _write_pod_status(self, pod: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        _, pod_spec = self._specs()
        meta = pod["metadata"]
        return self._store.replace(
            pod_spec, meta["namespace"], meta["name"], {"metadata": {}, "status": status}, "status"
        )

    async def _run_pod(self, pod: dict[str, Any]) -> Terminated:
        """Run the pod to termination; a pod that never starts is waited on (until cancelled)."""
        never: asyncio.Future[Terminated] = asyncio.get_running_loop().create_future()
        if self._runner is None:
            return await never
        started_at: list[str] = []
        current = [pod]

        def started() -> None:
            if not started_at:
                started_at.append(utc_now())
                current[0] = self._write_pod_status(
                    current[0], pod_status.running(pod, started_at[0])
                )

        runner_task = asyncio.ensure_future(self._runner(pod, started))
        self._pods[pod["metadata"]["uid"]] = runner_task
        try:
            outcome = await runner_task
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            return Terminated(137, "Error", "The pod was deleted while running")
        finally:
            self._pods.pop(pod["metadata"]["uid"], None)
        if isinstance(outcome, Terminated):
            started()
            self._write_pod_status(
                current[0], pod_status.terminated(current[0], outcome, started_at[0])
            )
            return outcome
        if isinstance(outcome, Waiting):
            self._write_pod_status(pod, pod_status.waiting(pod, outcome))
        else:
            self._write_pod_status(pod, pod_status.unschedulable(pod, outcome))
        return await never

    def _fail_pod_on_deadline(self, pod: dict[str, Any] | None) -> None:
        if pod is None:
            return
        _, pod_spec = self._specs()
        meta = pod["metadata"]
        current = self._store.find(pod_spec, meta["namespace"], meta["name"])
        if current is not None and (current.get("status") or {}).get("phase") in (
            "Pending",
            "Running",
        ):
            self._write_pod_status(current, pod_status.deadline_exceeded(current))
