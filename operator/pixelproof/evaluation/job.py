"""The evaluator Job for one evaluate step and attempt of a rollout."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pixelproof.api.base import API_VERSION, KIND
from pixelproof.api.evaluator_invocation import (
    RUN_CONTEXT_ENV,
    TERMINATION_LOG_ENV,
    EvaluatorInvocation,
)
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.steps import EvaluateStep

from .live import live_options, live_volume

ROLLOUT_LABEL = "pixelproof.dev/rollout"
STEP_LABEL = "pixelproof.dev/step"
ATTEMPT_LABEL = "pixelproof.dev/attempt"
GOLDEN_MOUNT = "/golden"
REPORTS_MOUNT = "/reports"
TMP_MOUNT = "/tmp"
TERMINATION_LOG = "/dev/termination-log"
CONTAINER = "evaluator"


@dataclass(frozen=True)
class RolloutRef:
    name: str
    namespace: str
    uid: str


def owner_reference(rollout: RolloutRef) -> dict[str, Any]:
    """The rollout as controller of an object it made: deleting it deletes the object."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": rollout.name,
        "uid": rollout.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def rollout_label(name: str) -> str:
    """A label value for a rollout name (label values stop at 63 characters)."""
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:54].rstrip('-._')}-{digest}"


def service_url(service: str, namespace: str, port: int) -> str:
    return f"http://{service}.{namespace}.svc:{port}"


def evaluator_invocation(
    spec: ModelRolloutSpec,
    namespace: str,
    tags: tuple[str, ...],
    live: dict[str, Any] | None = None,
    candidate_replicas: int | None = None,
) -> EvaluatorInvocation:
    """`candidate_replicas` (the ready ones) sets the concurrency when the spec gives none."""
    assert spec.golden_set is not None and spec.evaluator is not None
    port = spec.generator.port
    golden = spec.golden_set
    source: dict[str, Any]
    if live:
        # A live step judges recorded prompts alone; the golden steps judge the golden set.
        source = {}
    elif golden.url is not None:
        source = {"golden_url": golden.url.href, "golden_sha256": golden.url.sha256}
    elif golden.manifest == "golden.yaml":
        source = {"golden": GOLDEN_MOUNT}
    else:
        source = {"golden": f"{GOLDEN_MOUNT}/{golden.manifest}"}
    return EvaluatorInvocation(
        **source,
        stable=service_url(spec.stable.service, namespace, port),
        candidate=service_url(spec.candidate.service, namespace, port),
        generator=spec.generator,
        gates=spec.quality_gates,
        out=REPORTS_MOUNT,
        tags=tags,
        concurrency=spec.evaluator.concurrency,
        **(live or {}),
        candidate_replicas=candidate_replicas if spec.evaluator.concurrency is None else None,
    )


def _evaluate_step(spec: ModelRolloutSpec, step: int) -> EvaluateStep | None:
    return spec.steps[step].evaluate if 0 <= step < len(spec.steps) else None


def _volumes(spec: ModelRolloutSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    assert spec.golden_set is not None and spec.evaluator is not None
    golden = spec.golden_set
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    if golden.config_map is not None:
        volumes.append({"name": "golden", "configMap": {"name": golden.config_map.name}})
        mounts.append({"name": "golden", "mountPath": GOLDEN_MOUNT, "readOnly": True})
    elif golden.pvc is not None:
        volumes.append(
            {
                "name": "golden",
                "persistentVolumeClaim": {"claimName": golden.pvc.claim_name, "readOnly": True},
            }
        )
        mount: dict[str, Any] = {"name": "golden", "mountPath": GOLDEN_MOUNT, "readOnly": True}
        sub_path = golden.pvc.path.strip("/")
        if sub_path:
            mount["subPath"] = sub_path
        mounts.append(mount)
    claim = spec.evaluator.reports_claim_name
    volumes.append(
        {"name": "reports", "persistentVolumeClaim": {"claimName": claim}}
        if claim
        else {"name": "reports", "emptyDir": {}}
    )
    mounts.append({"name": "reports", "mountPath": REPORTS_MOUNT})
    # The root filesystem is read-only: downloads and scratch files go here.
    volumes.append({"name": "tmp", "emptyDir": {}})
    mounts.append({"name": "tmp", "mountPath": TMP_MOUNT})
    return volumes, mounts


# The restricted Pod Security Standard: the evaluator only reads its inputs, talks HTTP
# and writes under /tmp and /reports, so it needs no root, capability or writable image.
POD_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def evaluator_job(
    rollout: RolloutRef,
    spec: ModelRolloutSpec,
    *,
    job_name: str,
    step: int,
    attempt: int,
    tags: tuple[str, ...] = (),
    candidate_replicas: int | None = None,
) -> dict[str, Any]:
    """The Job manifest. backoffLimit 0: a crashed evaluation is judged, never silently rerun."""
    evaluator = spec.evaluator
    if evaluator is None or spec.golden_set is None:
        raise ValueError("an evaluate step needs spec.goldenSet and spec.evaluator")
    labels = {
        ROLLOUT_LABEL: rollout_label(rollout.name),
        STEP_LABEL: str(step),
        ATTEMPT_LABEL: str(attempt),
        "app.kubernetes.io/name": "pixelproof-evaluator",
        "app.kubernetes.io/managed-by": "pixelproof",
    }
    evaluate = _evaluate_step(spec, step)
    volumes, mounts = _volumes(spec)
    live_volumes, live_mounts = live_volume(spec, evaluate)
    volumes, mounts = volumes + live_volumes, mounts + live_mounts
    live = live_options(spec, rollout.name, rollout.namespace, evaluate)
    env = [{"name": TERMINATION_LOG_ENV, "value": TERMINATION_LOG}]
    if not any(e.name == "HOME" for e in evaluator.env):
        # Libraries that cache under ~ find a writable one.
        env.append({"name": "HOME", "value": TMP_MOUNT})
    context = {"rollout": f"{rollout.namespace}/{rollout.name}", "job": job_name, "step": str(step)}
    env += [{"name": RUN_CONTEXT_ENV[key], "value": value} for key, value in context.items()]
    reserved = {TERMINATION_LOG_ENV, *RUN_CONTEXT_ENV.values()}
    env += [e.to_wire() for e in evaluator.env if e.name not in reserved]
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": evaluator.image,
        "command": evaluator_invocation(
            spec, rollout.namespace, tags, live, candidate_replicas
        ).to_command(),
        "env": env,
        "resources": evaluator.resources,
        "volumeMounts": mounts,
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": CONTAINER_SECURITY_CONTEXT,
    }
    if evaluator.image_pull_policy:
        container["imagePullPolicy"] = evaluator.image_pull_policy
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        # The evaluator talks to the generators over HTTP and never to the Kubernetes API.
        "automountServiceAccountToken": False,
        "securityContext": POD_SECURITY_CONTEXT,
        "containers": [container],
        "volumes": volumes,
    }
    if evaluator.node_selector:
        pod_spec["nodeSelector"] = evaluator.node_selector
    if evaluator.tolerations:
        pod_spec["tolerations"] = evaluator.tolerations
    if evaluator.service_account_name:
        pod_spec["serviceAccountName"] = evaluator.service_account_name
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "namespace": rollout.namespace,
            "labels": labels,
            "ownerReferences": [owner_reference(rollout)],
        },
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": evaluator.active_deadline_seconds,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
