"""The prompt recorder of one rollout: a Deployment and Service named after it and owned by
it, running the evaluator image's `record` command.

One recorder per rollout keeps each rollout's samples and privacy settings (retention,
redaction) apart from every other's, and the recorded prompts die with the rollout."""

from __future__ import annotations

from typing import Any

from pixelproof.api.evaluator_invocation import EVALUATOR_MODULE
from pixelproof.api.live import RECORDER_PORT, recorder_name
from pixelproof.api.rollout import ModelRolloutSpec

from .job import (
    CONTAINER_SECURITY_CONTEXT,
    POD_SECURITY_CONTEXT,
    ROLLOUT_LABEL,
    RolloutRef,
    owner_reference,
    rollout_label,
)

RECORD = "record"
DATA_MOUNT = "/data"
RECORDER_COMPONENT = "pixelproof-recorder"
HEALTH_PATH = "/healthz"


def recorder_image(spec: ModelRolloutSpec) -> str | None:
    live = spec.live_traffic
    if live is not None and live.recorder.image is not None:
        return live.recorder.image
    return spec.evaluator.image if spec.evaluator is not None else None


def recorder_command(spec: ModelRolloutSpec) -> list[str]:
    assert spec.live_traffic is not None
    recorder = spec.live_traffic.recorder
    command = [*EVALUATOR_MODULE, RECORD, "--port", str(RECORDER_PORT)]
    command += ["--max-count", str(recorder.max_count), "--retention", recorder.retention]
    for pattern in recorder.redact:
        command += ["--redact", pattern]
    return [*command, "--data-dir", DATA_MOUNT]


def _labels(rollout: RolloutRef) -> dict[str, str]:
    return {
        ROLLOUT_LABEL: rollout_label(rollout.name),
        "app.kubernetes.io/name": RECORDER_COMPONENT,
        "app.kubernetes.io/instance": recorder_name(rollout.name),
        "app.kubernetes.io/managed-by": "pixelproof",
    }


def _metadata(rollout: RolloutRef) -> dict[str, Any]:
    return {
        "name": recorder_name(rollout.name),
        "namespace": rollout.namespace,
        "labels": _labels(rollout),
        "ownerReferences": [owner_reference(rollout)],
    }


def recorder_deployment(rollout: RolloutRef, spec: ModelRolloutSpec) -> dict[str, Any]:
    image = recorder_image(spec)
    if image is None or spec.live_traffic is None:
        raise ValueError("spec.liveTraffic.recorder.image is needed when spec.evaluator is unset")
    labels = _labels(rollout)
    probe = {"httpGet": {"path": HEALTH_PATH, "port": RECORDER_PORT}, "periodSeconds": 5}
    container: dict[str, Any] = {
        "name": "recorder",
        "image": image,
        "command": recorder_command(spec),
        "ports": [{"name": "http", "containerPort": RECORDER_PORT}],
        "readinessProbe": probe,
        "resources": spec.live_traffic.recorder.resources,
        "volumeMounts": [{"name": "data", "mountPath": DATA_MOUNT}],
        "securityContext": CONTAINER_SECURITY_CONTEXT,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(rollout),
        "spec": {
            # One replica: the sample lives in one process, and the mirror is a small share.
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": POD_SECURITY_CONTEXT,
                    "containers": [container],
                    # Prompts are user data: they live no longer than the recorder's pod.
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            },
        },
    }


def recorder_service(rollout: RolloutRef) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(rollout),
        "spec": {
            "selector": _labels(rollout),
            "ports": [{"name": "http", "port": RECORDER_PORT, "targetPort": RECORDER_PORT}],
        },
    }
