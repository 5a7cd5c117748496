"""What the evaluator Job of a live evaluate step adds: where recorded prompts come from
(the rollout's recorder, or its prompt log), how many, and the prompt log's volume."""

from __future__ import annotations

from typing import Any

from pixelproof.api.live import samples_url
from pixelproof.api.rollout import ModelRolloutSpec
from pixelproof.api.steps import EvaluateStep

LIVE_MOUNT = "/live"


def live_options(
    spec: ModelRolloutSpec, rollout: str, namespace: str, evaluate: EvaluateStep | None
) -> dict[str, Any]:
    """The invocation's live fields for a live evaluate step: where recorded prompts come
    from (the rollout's recorder, or its prompt log), how many, and whether the report may
    show their text."""
    live = spec.live_traffic
    if evaluate is None or evaluate.source != "live" or live is None:
        return {}
    options: dict[str, Any] = {
        "live_count": evaluate.count,
        "live_min_count": evaluate.min_count,
        "allow_prompt_text": live.recorder.allow_prompt_text,
    }
    log = live.prompt_log
    if log is None:
        options["live_source"] = samples_url(rollout, namespace)
    elif log.url is not None:
        options["live_source"] = log.url.href
        options["live_source_sha256"] = log.url.sha256
    else:
        assert log.config_map is not None
        options["live_source"] = f"{LIVE_MOUNT}/{log.config_map.key}"
    return options


def live_volume(
    spec: ModelRolloutSpec, evaluate: EvaluateStep | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A prompt log kept in a ConfigMap, mounted for a live evaluate step."""
    live = spec.live_traffic
    log = live.prompt_log if live is not None else None
    if evaluate is None or evaluate.source != "live" or log is None or log.config_map is None:
        return [], []
    volume = {"name": "live", "configMap": {"name": log.config_map.name}}
    return [volume], [{"name": "live", "mountPath": LIVE_MOUNT, "readOnly": True}]
