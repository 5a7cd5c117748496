"""Live evaluation against real reference generators: prompts sent through a real recorder
as the data plane's mirror would, then replayed by the evaluator from it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from recorder_support import body, recorder

from pixelproof.api.evaluation import EvaluationSummary
from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.client import RetryPolicy
from pixelproof_evaluator.evaluate import EvaluateOptions, Models, evaluate
from pixelproof_evaluator.live import LiveOptions

# Thresholds for the seeded random AlexNet backbone used offline and 128 px images.
LIVE_GATES: dict[str, Any] = {
    "failureRate": {"max": 0.02},
    "format": {"alpha": True, "size": True},
    "determinism": {"maxReplayDistance": 0.01},
    "color": {"maxDeltaE": 3.0},
    "sharpness": {"minRatio": 0.6},
    "divergence": {"maxMean": 0.02, "maxNoiseMultiple": 3.0, "minNoiseFloor": 0.005},
}
# Real traffic: mostly prompts no one curated, some asking for an anniversary banner.
LIVE_PROMPTS = [
    "a landscape with hills and a river at dusk",
    "ANNIVERSARY banner for our shop, gold on blue",
    "three cats on a sofa, watercolour",
    "ANNIVERSARY card with balloons",
    "a lighthouse in a storm",
    "a bowl of ramen, top view",
    "ANNIVERSARY cake with ten candles",
    "a city skyline at night, neon",
]


def record(url: str, prompts: Sequence[str], **fields: Any) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        for seed, prompt in enumerate(prompts, start=1):
            reply = client.post("/generate", json=body(prompt, seed=seed, **fields))
            assert reply.status_code == 202, reply.text


def evaluate_live(
    models: Models,
    out: Path,
    stable: str,
    candidate: str,
    prompts: Sequence[str] = LIVE_PROMPTS,
    *,
    gates: dict[str, Any] | None = None,
    min_count: int = 6,
    allow_prompt_text: bool = False,
    golden: Path | None = None,
) -> EvaluationSummary:
    with recorder() as rec:
        record(rec.url, prompts)
        options = EvaluateOptions(
            stable_url=stable,
            candidate_url=candidate,
            contract=GeneratorContract(timeout_seconds=30),
            gates=QualityGates.model_validate(gates if gates is not None else LIVE_GATES),
            out=out,
            golden=golden,
            retry=RetryPolicy(max_attempts=1),
            live=LiveOptions(
                source=rec.url + "/samples",
                count=50,
                min_count=min_count,
                allow_prompt_text=allow_prompt_text,
            ),
        )
        return evaluate(options, models)
