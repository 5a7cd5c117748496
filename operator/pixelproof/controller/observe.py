"""Reading the world a rollout depends on into the engine's Observations."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pixelproof.api.commands import commands_from_annotations
from pixelproof.api.live import recorder_name
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.engine.observations import (
    CandidateReading,
    EvaluationReading,
    MetricSample,
    Observations,
    RecorderReading,
)
from pixelproof.engine.spec import ParsedSpec
from pixelproof.evaluation.outcome import read_outcome
from pixelproof.kube import CONFIGMAPS, DEPLOYMENTS, JOBS, PODS, SERVICES, KubeApi
from pixelproof.routers import Router, router_for

from .freezes import campaign_freezes, promoted_by

logger = logging.getLogger(__name__)

MetricSampler = Callable[
    [ModelRolloutSpec, Mapping[str, Any], str, datetime], Awaitable[tuple[MetricSample, ...]]
]


@dataclass(frozen=True)
class World:
    observations: Observations
    spec: ModelRolloutSpec | None
    router: Router | None


def candidate_reading(
    deployment: dict[str, Any] | None, name: str, namespace: str, router_owns_replicas: bool
) -> CandidateReading:
    if deployment is None:
        return CandidateReading(error=f"candidate Deployment {namespace}/{name} not found")
    spec_replicas = int((deployment.get("spec") or {}).get("replicas", 1))
    status = deployment.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    updated = int(status.get("updatedReplicas", ready) or 0)
    rolled_out = int(status.get("observedGeneration", 0)) >= int(
        deployment["metadata"].get("generation", 0)
    )
    # With the replicas router the weight sets the pod count, so "all planned pods ready"
    # (zero of zero included) is what readiness means; otherwise at least one pod must serve.
    wanted = spec_replicas if router_owns_replicas else max(spec_replicas, 1)
    template = (deployment.get("spec") or {}).get("template")
    return CandidateReading(
        ready=rolled_out and ready >= wanted and updated >= wanted,
        ready_replicas=ready,
        replicas=spec_replicas,
        template=None if template is None else template_digest(template),
    )


def template_digest(template: Any) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:16]


async def _problems(api: KubeApi, spec: ModelRolloutSpec, namespace: str) -> tuple[str, ...]:
    checks: list[tuple[str, Any, str]] = [
        (
            f"stable Deployment {namespace}/{spec.stable.deployment} not found",
            DEPLOYMENTS,
            spec.stable.deployment,
        ),
        (
            f"stable Service {namespace}/{spec.stable.service} not found",
            SERVICES,
            spec.stable.service,
        ),
        (
            f"candidate Service {namespace}/{spec.candidate.service} not found",
            SERVICES,
            spec.candidate.service,
        ),
    ]
    golden = spec.golden_set
    if (
        golden is not None
        and golden.config_map is not None
        and any(s.evaluate is not None for s in spec.steps)
    ):
        checks.append(
            (
                f"golden set ConfigMap {namespace}/{golden.config_map.name} not found",
                CONFIGMAPS,
                golden.config_map.name,
            )
        )
    found = await asyncio.gather(*(api.find(res, namespace, name) for _, res, name in checks))
    return tuple(message for (message, _, _), obj in zip(checks, found, strict=True) if obj is None)


def owned_by(obj: Mapping[str, Any] | None, uid: str) -> bool:
    refs = ((obj or {}).get("metadata") or {}).get("ownerReferences") or []
    return any(ref.get("uid") == uid for ref in refs)


async def recorder_reading(api: KubeApi, namespace: str, rollout: str, uid: str) -> RecorderReading:
    """The rollout's prompt recorder: ready once its Service exists and a pod is ready.
    Objects of its name that the rollout does not own are never taken for it."""
    name = recorder_name(rollout)
    deployment, service = await asyncio.gather(
        api.find(DEPLOYMENTS, namespace, name), api.find(SERVICES, namespace, name)
    )
    foreign = [
        f"{kind} {namespace}/{name}"
        for kind, obj in (("Deployment", deployment), ("Service", service))
        if obj is not None and not owned_by(obj, uid)
    ]
    if foreign:
        return RecorderReading(
            foreign=f"{' and '.join(foreign)} exists but is not this rollout's prompt recorder "
            "(spec.liveTraffic); rename or remove it"
        )
    if deployment is None and service is None:
        return RecorderReading()
    ready = int((deployment or {}).get("status", {}).get("readyReplicas") or 0) > 0
    return RecorderReading(exists=True, ready=ready and service is not None)


async def _recorder_if_any(
    api: KubeApi,
    spec: ModelRolloutSpec,
    status: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> RecorderReading:
    # Rollouts without live traffic skip the reads; one that just dropped it still has a
    # recorder (its status names it) to remove.
    if spec.live_traffic is None and not status.get("recorder"):
        return RecorderReading()
    return await recorder_reading(api, meta["namespace"], meta["name"], meta.get("uid", ""))


async def evaluation_reading(
    api: KubeApi, namespace: str, status: Mapping[str, Any], spec: ModelRolloutSpec, now: datetime
) -> EvaluationReading | None:
    current = status.get("lastEvaluation") or {}
    if current.get("state") != "Running" or not current.get("job"):
        return None
    job = await api.find(JOBS, namespace, current["job"])
    if job is None:
        return None
    pods = await api.list(PODS, namespace, label_selector=f"job-name={current['job']}")
    deadline = spec.evaluator.pending_deadline_seconds if spec.evaluator else 600
    return read_outcome(job, pods, pending_deadline_seconds=deadline, now=now)


async def _stable_deployment(
    api: KubeApi, namespace: str, spec: ModelRolloutSpec
) -> dict[str, Any] | None:
    """Read only with traffic.gpuBudget, the one policy that scales stable beside a mesh."""
    return await api.find(DEPLOYMENTS, namespace, spec.stable.deployment)


async def _nothing() -> None:
    return None


async def observe(
    api: KubeApi,
    rollout: dict[str, Any],
    parsed: ParsedSpec,
    now: datetime,
    sampler: MetricSampler | None,
    freeze_namespace: str | None = None,
) -> World:
    meta = rollout["metadata"]
    namespace, generation = meta["namespace"], int(meta.get("generation") or 1)
    commands = commands_from_annotations(meta.get("annotations") or {})
    stored = rollout.get("status")
    status: Mapping[str, Any] = stored if isinstance(stored, Mapping) else {}
    spec = parsed.model
    if spec is None:
        # The engine names the fault (Stalled, InvalidSpec); there is nothing to observe.
        return World(Observations(generation=generation, commands=commands), None, None)
    router = router_for(spec, api, namespace, meta["name"])
    budgeted = spec.traffic.gpu_budget is not None
    # Started beside the six reads below: gather's typing stops at six awaitables.
    recorder_read = asyncio.ensure_future(_recorder_if_any(api, spec, status, meta))
    router_reading, deployment, stable, problems, evaluation, freezes = await asyncio.gather(
        router.read_weights(),
        api.find(DEPLOYMENTS, namespace, spec.candidate.deployment),
        _stable_deployment(api, namespace, spec) if budgeted else _nothing(),
        _problems(api, spec, namespace),
        evaluation_reading(api, namespace, status, spec, now),
        campaign_freezes(api, namespace, freeze_namespace),
    )
    recorder = await recorder_read
    metrics: tuple[MetricSample, ...] = ()
    if sampler is not None and spec.metrics.gates:
        try:
            metrics = await sampler(spec, status, namespace, now)
        except Exception:
            # A broken provider must not stop the rollout's reconcile: gates stay unsampled
            # (never promoting) and the engine's deadlines decide.
            logger.exception("metric sampling failed for %s/%s", namespace, meta["name"])
    candidate = candidate_reading(
        deployment, spec.candidate.deployment, namespace, router.owns_candidate_replicas
    )
    if router_reading.candidate_ready is not None:
        candidate = replace(candidate, ready=router_reading.candidate_ready)
    observations = Observations(
        generation=generation,
        router=router_reading,
        candidate=candidate,
        recorder=recorder,
        # A missing stable Deployment is already one of the problems that hold the rollout.
        stable=candidate_reading(stable, spec.stable.deployment, namespace, True)
        if stable is not None
        else CandidateReading(),
        evaluation=evaluation,
        metrics=metrics,
        commands=commands,
        problems=problems,
        freezes=freezes,
        promoted_by=promoted_by(meta),
    )
    return World(observations, spec, router)
