"""The rollback window: the candidate revisions a rollout promoted, and skipping the steps
for one of them when it comes back within spec.rollbackWindow."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from pixelproof.api.durations import parse_duration
from pixelproof.api.rollback_window import MAX_PROMOTED_HISTORY, PromotedRevision

from .context import Context
from .timefmt import parse_time


def candidate_revision(ctx: Context) -> str | None:
    """What identifies the candidate's model: its Deployment, that Deployment's pod
    template as observed, and the generator contract. None while the template is unknown,
    since a name alone proves nothing about what runs under it."""
    template = ctx.obs.candidate.template
    if template is None:
        return None
    identity = {
        "deployment": ctx.spec.candidate.deployment,
        "template": template,
        "generator": ctx.spec.generator.to_wire(),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]


def remember_promotion(ctx: Context) -> None:
    """Record the revision that just succeeded, newest first, each revision once."""
    revision = candidate_revision(ctx)
    if revision is None:
        return
    st = ctx.status
    earlier = [p for p in st.promoted_revisions if p.revision != revision]
    promoted = PromotedRevision(
        revision=revision, deployment=ctx.spec.candidate.deployment, promoted_at=ctx.stamp
    )
    st.promoted_revisions = [promoted, *earlier][:MAX_PROMOTED_HISTORY]


def within_window(ctx: Context) -> PromotedRevision | None:
    """The promotion of this candidate revision that spec.rollbackWindow still counts."""
    window = ctx.spec.rollback_window
    revision = candidate_revision(ctx)
    if window is None or revision is None:
        return None
    counted = ctx.status.promoted_revisions[: window.revisions or MAX_PROMOTED_HISTORY]
    oldest = (
        None
        if window.duration is None
        else ctx.now - timedelta(seconds=parse_duration(window.duration))
    )
    for promoted in counted:
        if promoted.revision != revision:
            continue
        when = parse_time(promoted.promoted_at)
        if oldest is not None and (when is None or when < oldest):
            return None
        return promoted
    return None


def fast_track(ctx: Context) -> None:
    """Skip every step of a rollout whose candidate revision was promoted within the
    window: the rollout goes to full traffic, where the metric gates still judge."""
    promoted = within_window(ctx)
    if promoted is None:
        return
    st = ctx.status
    st.current_step = len(ctx.spec.steps)
    st.fast_tracked = (
        f"revision {promoted.revision} of {promoted.deployment} was promoted at "
        f"{promoted.promoted_at}, within spec.rollbackWindow"
    )
    ctx.event("Normal", "StepsSkipped", f"{st.fast_tracked}: skipping the steps")
