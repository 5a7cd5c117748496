"""Evaluator Job housekeeping: stop runs nobody waits for, keep the last few finished ones."""

from __future__ import annotations

from pixelproof.kube import JOBS, KubeApi

from .job import ROLLOUT_LABEL, rollout_label
from .outcome import is_finished


async def rollout_jobs(api: KubeApi, namespace: str, rollout: str) -> list[dict]:  # type: ignore[type-arg]
    return await api.list(
        JOBS, namespace, label_selector=f"{ROLLOUT_LABEL}={rollout_label(rollout)}"
    )


async def sweep_jobs(
    api: KubeApi, namespace: str, rollout: str, *, running: str | None, keep: int
) -> list[str]:
    """Delete unfinished Jobs other than `running` (their outcome was decided, or they were
    replaced) and finished Jobs beyond the newest `keep`. Returns the deleted names."""
    jobs = await rollout_jobs(api, namespace, rollout)
    jobs.sort(key=lambda j: j["metadata"].get("creationTimestamp") or "", reverse=True)
    doomed: list[str] = []
    kept = 0
    for job in jobs:
        name = job["metadata"]["name"]
        if name == running or job["metadata"].get("deletionTimestamp"):
            continue
        if not is_finished(job):
            doomed.append(name)
        elif kept < keep:
            kept += 1
        else:
            doomed.append(name)
    for name in doomed:
        await api.delete(JOBS, namespace, name)
    return doomed
