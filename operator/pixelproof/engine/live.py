"""Live traffic: while a rollout with spec.liveTraffic runs, its prompt recorder runs and
the route mirrors a share of requests to it; when the rollout ends both go. Decided from
what the router and the cluster show on every decision, so a mirror left behind by an
operator killed between two writes is removed by the next one."""

from __future__ import annotations

from pixelproof.api.live import MIXED_MIRROR, recorder_name, recorder_url
from pixelproof.api.status import TERMINAL_PHASES
from pixelproof.api.steps import EvaluateStep

from .actions import RemoveRecorder, SetMirror, StartRecorder
from .context import Context
from .outcome import Wait


def _recording(ctx: Context) -> bool:
    live = ctx.spec.live_traffic
    return live is not None and live.mirrors and ctx.status.phase not in TERMINAL_PHASES


def keep_live_traffic(ctx: Context) -> None:
    st, obs = ctx.status, ctx.obs
    live = ctx.spec.live_traffic
    recording = _recording(ctx)
    recorder = recorder_name(ctx.name)
    wanted: int | None = None
    if recording:
        assert live is not None
        if not obs.recorder.exists:
            ctx.actions.append(StartRecorder())
        # The route mirrors only to a recorder that answers; once it does, a recorder
        # restarting later keeps its mirror rather than flapping the route.
        if obs.recorder.ready or obs.router.mirror is not None:
            wanted = live.mirror_percent
    elif obs.recorder.exists:
        ctx.actions.append(RemoveRecorder())
        if st.recorder is not None:
            ctx.event("Normal", "RecorderRemoved", f"prompt recorder {recorder} removed")
    st.recorder = recorder_url(ctx.name, ctx.namespace) if recording else None
    if obs.router.error is not None:
        return
    if obs.router.mirror != wanted:
        ctx.actions.append(SetMirror(wanted))
    if st.mirror_percent != obs.router.mirror:
        ctx.event("Normal", "MirrorChanged", f"route {_mirror_words(obs.router.mirror, recorder)}")
    st.mirror_percent = obs.router.mirror


def _mirror_words(percent: int | None, recorder: str) -> str:
    if percent is None:
        return f"no longer mirrors requests to the prompt recorder {recorder}"
    if percent == MIXED_MIRROR:
        return f"rules mirror different shares of requests to the prompt recorder {recorder}"
    return f"mirrors {percent}% of requests to the prompt recorder {recorder}"


def live_evaluation_blocked(ctx: Context, evaluate: EvaluateStep) -> Wait | None:
    """A live evaluation replays what the recorder holds: it starts once the recorder is
    ready and the route is read back mirroring to it."""
    live = ctx.spec.live_traffic
    if evaluate.source != "live" or live is None or not live.mirrors:
        return None
    recorder = recorder_name(ctx.name)
    if not ctx.obs.recorder.ready:
        return Wait(f"prompt recorder {recorder} not ready", counts_toward_deadline=True)
    if ctx.obs.router.mirror != live.mirror_percent:
        return Wait(
            f"route to mirror {live.mirror_percent}% of requests to {recorder}",
            counts_toward_deadline=True,
        )
    return None
