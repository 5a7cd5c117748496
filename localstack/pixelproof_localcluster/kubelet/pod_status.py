"""Pod status documents for each stage of a pod's life on the stand-in kubelet."""

from __future__ import annotations

from typing import Any

from pixelproof_localcluster.kubelet.conditions import carry_times, condition
from pixelproof_localcluster.kubelet.outcomes import Terminated, Unschedulable, Waiting
from pixelproof_localcluster.store import utc_now

_NODE_IP = "127.0.0.1"


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = (pod.get("spec") or {}).get("containers") or [{}]
    return containers[0]


def _container_status(pod: dict[str, Any], state: dict[str, Any], *, ready: bool) -> dict[str, Any]:
    container = _container(pod)
    return {
        "name": container.get("name", "main"),
        "image": container.get("image", ""),
        "imageID": "",
        "ready": ready,
        "started": "running" in state,
        "restartCount": 0,
        "state": state,
    }


def _with_conditions(
    pod: dict[str, Any], status: dict[str, Any], conditions: list[dict[str, Any]]
) -> dict[str, Any]:
    previous = (pod.get("status") or {}).get("conditions")
    return {**status, "conditions": carry_times(previous, conditions)}


def _scheduled(ready: bool, reason: str) -> list[dict[str, Any]]:
    """Conditions of a pod placed on the node, ready or not for `reason`."""
    return [
        condition("PodScheduled", True, ""),
        condition("Initialized", True, ""),
        condition("ContainersReady", ready, reason),
        condition("Ready", ready, reason),
    ]


def running(pod: dict[str, Any], started_at: str) -> dict[str, Any]:
    status = {
        "phase": "Running",
        "hostIP": _NODE_IP,
        "podIP": _NODE_IP,
        "startTime": started_at,
        "containerStatuses": [
            _container_status(pod, {"running": {"startedAt": started_at}}, ready=True)
        ],
    }
    return _with_conditions(
        pod,
        status,
        _scheduled(True, ""),
    )


def terminated(pod: dict[str, Any], outcome: Terminated, started_at: str) -> dict[str, Any]:
    state = {
        "terminated": {
            "exitCode": outcome.exit_code,
            "reason": outcome.effective_reason,
            "message": outcome.message,
            "startedAt": started_at,
            "finishedAt": utc_now(),
            "containerID": f"local://{pod['metadata']['uid']}",
        }
    }
    if not outcome.message:
        del state["terminated"]["message"]
    status = {
        "phase": "Succeeded" if outcome.exit_code == 0 else "Failed",
        "hostIP": _NODE_IP,
        "podIP": _NODE_IP,
        "startTime": started_at,
        "containerStatuses": [_container_status(pod, state, ready=False)],
    }
    return _with_conditions(
        pod,
        status,
        _scheduled(False, "PodCompleted"),
    )


def waiting(pod: dict[str, Any], outcome: Waiting) -> dict[str, Any]:
    state = {"waiting": {"reason": outcome.reason, "message": outcome.message}}
    status = {
        "phase": "Pending",
        "hostIP": _NODE_IP,
        "startTime": utc_now(),
        "containerStatuses": [_container_status(pod, state, ready=False)],
    }
    return _with_conditions(
        pod,
        status,
        _scheduled(False, "ContainersNotReady"),
    )


def unschedulable(pod: dict[str, Any], outcome: Unschedulable) -> dict[str, Any]:
    return _with_conditions(
        pod,
        {"phase": "Pending"},
        [
            condition("PodScheduled", False, "Unschedulable", outcome.message),
        ],
    )


def deadline_exceeded(pod: dict[str, Any]) -> dict[str, Any]:
    current = pod.get("status") or {}
    return {
        **current,
        "phase": "Failed",
        "reason": "DeadlineExceeded",
        "message": "Pod was active on the node longer than the specified deadline",
    }
