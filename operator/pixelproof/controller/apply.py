"""Applying the engine's actions to the cluster. Every action is idempotent to apply."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pixelproof.api.live import recorder_name
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.engine.actions import (
    Action,
    EmitEvent,
    Notify,
    RemoveRecorder,
    ScaleCandidate,
    ScaleWithinBudget,
    SetMirror,
    SetRoutePolicies,
    SetWeights,
    StartEvaluation,
    StartRecorder,
    StopEvaluation,
)
from pixelproof.engine.event_folding import one_event_per_decision
from pixelproof.evaluation.job import RolloutRef, evaluator_job
from pixelproof.evaluation.recorder import recorder_deployment, recorder_service
from pixelproof.kube import DEPLOYMENTS, JOBS, SERVICES, ApiError, KubeApi, Resource
from pixelproof.routers import Router, RouterError, WeightedObjectRouter

from .observe import owned_by

logger = logging.getLogger(__name__)

Notifier = Callable[[dict[str, Any], Notify], Awaitable[None]]
EventPoster = Callable[[dict[str, Any], str, str, str, tuple[str, ...]], None]
"""Posts an Event on a rollout: its type, reason, message, and the reasons of its parts."""


@dataclass
class Applied:
    """What applying changed, and what failed (each failure already logged and reported)."""

    started_jobs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def apply_changes(
    api: KubeApi,
    rollout: dict[str, Any],
    spec: ModelRolloutSpec | None,
    router: Router | None,
    actions: list[Action],
) -> Applied:
    """Actions that change the cluster, before the status that records them is written."""
    meta = rollout["metadata"]
    namespace = meta["namespace"]
    applied = Applied()
    for action in actions:
        try:
            if isinstance(action, SetWeights) and router is not None:
                await router.set_weights(action.weights)
            elif isinstance(action, SetMirror) and router is not None:
                await router.set_mirror(action.percent)
            elif isinstance(action, StartRecorder) and spec is not None:
                ref = RolloutRef(meta["name"], namespace, meta["uid"])
                await _create(api, SERVICES, namespace, recorder_service(ref))
                await _create(api, DEPLOYMENTS, namespace, recorder_deployment(ref, spec))
            elif isinstance(action, RemoveRecorder):
                await remove_recorder(api, namespace, meta["name"], meta["uid"])
            elif isinstance(action, ScaleCandidate) and spec is not None:
                if router is None or not router.owns_candidate_replicas:
                    await api.patch(
                        DEPLOYMENTS,
                        namespace,
                        spec.candidate.deployment,
                        {"spec": {"replicas": action.replicas}},
                        sub="scale",
                    )
            elif isinstance(action, ScaleWithinBudget) and spec is not None:
                await scale_within_budget(api, namespace, spec, action)
            elif isinstance(action, SetRoutePolicies) and isinstance(router, WeightedObjectRouter):
                await router.set_policies(action.active)
            elif isinstance(action, StartEvaluation) and spec is not None:
                ref = RolloutRef(meta["name"], namespace, meta["uid"])
                job = evaluator_job(
                    ref,
                    spec,
                    job_name=action.job,
                    step=action.step,
                    attempt=action.attempt,
                    tags=action.tags,
                    candidate_replicas=action.candidate_replicas,
                )
                await _create(api, JOBS, namespace, job)
                applied.started_jobs.append(action.job)
            elif isinstance(action, StopEvaluation):
                await api.delete(JOBS, namespace, action.job)
        except (RouterError, ApiError, ValueError) as exc:
            message = f"{type(action).__name__} failed: {exc}"
            logger.warning("%s/%s: %s", namespace, meta["name"], message)
            applied.failures.append(message)
    return applied


async def _create(api: KubeApi, res: Resource, namespace: str, body: dict[str, Any]) -> None:
    """Create unless it exists: a restarted operator repeats creations it already made."""
    try:
        await api.create(res, namespace, body)
    except ApiError as exc:
        if exc.code != 409:
            raise


async def remove_recorder(api: KubeApi, namespace: str, rollout: str, uid: str) -> None:
    """Delete the rollout's prompt recorder, its recorded prompts with it; objects of its
    name that the rollout does not own are left alone."""
    name = recorder_name(rollout)
    for res in (DEPLOYMENTS, SERVICES):
        if owned_by(await api.find(res, namespace, name), uid):
            await api.delete(res, namespace, name)


async def scale_within_budget(
    api: KubeApi, namespace: str, spec: ModelRolloutSpec, action: ScaleWithinBudget
) -> None:
    """The Deployment heading down first: its lower count is stored before the other's
    higher one, so the replicas asked of both never add up to more than the budget."""
    names = (spec.stable.deployment, spec.candidate.deployment)
    current = [await api.get(DEPLOYMENTS, namespace, name) for name in names]
    wanted = (action.stable, action.candidate)
    order = sorted(range(2), key=lambda i: wanted[i] - _replicas(current[i]))
    for i in order:
        if wanted[i] != _replicas(current[i]):
            await api.patch(
                DEPLOYMENTS, namespace, names[i], {"spec": {"replicas": wanted[i]}}, sub="scale"
            )


def _replicas(deployment: dict[str, Any]) -> int:
    return int((deployment.get("spec") or {}).get("replicas", 1))


async def announce(
    rollout: dict[str, Any],
    actions: list[Action],
    applied: Applied,
    post_event: EventPoster,
    notifier: Notifier | None,
    omit_events: frozenset[str],
) -> None:
    """Events, gate records and notifications, once the status they describe is stored:
    one Normal Event for the decision, none of a reason in `omit_events`."""
    for failure in applied.failures:
        post_event(rollout, "Warning", "ActionFailed", failure, ())
    for action in one_event_per_decision(actions, omit_events):
        # A gate's every sample is a metric (RecordGate, see telemetry); only a change of its
        # verdict is an Event (the engine's GatePass, GateFail, GateInconclusive).
        if isinstance(action, EmitEvent):
            post_event(rollout, action.type, action.reason, action.message, action.said)
        elif isinstance(action, Notify) and notifier is not None:
            try:
                await notifier(rollout, action)
            except Exception as exc:
                # A webhook that is down must not stop the rollout; the Event says so.
                logger.warning("notification failed for %s: %s", rollout["metadata"]["name"], exc)
                post_event(
                    rollout,
                    "Warning",
                    "NotificationFailed",
                    f"could not send the {action.phase} notification: {exc}",
                    (),
                )
