"""A rollout's revision: what identifies the candidate under test.

Changing any of it means a different model is being rolled out, so the rollout
starts over; changing thresholds or steps does not."""

from __future__ import annotations

import hashlib
import json

from pixelproof.api.rollout import ModelRolloutSpec


def revision_of(spec: ModelRolloutSpec) -> str:
    identity = {
        "stable": spec.stable.to_wire(),
        "candidate": spec.candidate.to_wire(),
        "generator": spec.generator.to_wire(),
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def evaluation_job_name(
    rollout: str, revision: str, rollout_attempt: int, step: int, attempt: int
) -> str:
    """Deterministic, so a restarted operator finds the Job it started instead of making another."""
    suffix = f"-{revision[:6]}-r{rollout_attempt}-s{step}-a{attempt}"
    return rollout[: 63 - len(suffix)].rstrip("-") + suffix
