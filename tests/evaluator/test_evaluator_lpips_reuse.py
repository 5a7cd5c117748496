"""An evaluation puts each image through LPIPS's network once: references prepared while
the first requests are out, one reference's features compared with both models' outputs,
a replay compared with the features its first image kept, or with its first image's pixels
when it is that image. Its numbers are still LPIPS
computed pair by pair on the very images, in the evaluator's thread and in check workers.
Real reference generators, real decoding, real LPIPS."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from evaluator_support import GATES, MAX_PIXELS, image_again
from generator_proxy import proxy_url, start_proxy
from numpy.typing import NDArray

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract
from pixelproof_evaluator.checks.determinism import DIFFERENT_SIZE_DISTANCE
from pixelproof_evaluator.client import GenerationResult
from pixelproof_evaluator.evaluate import Models
from pixelproof_evaluator.golden import load_golden_dir
from pixelproof_evaluator.images import decode_png
from pixelproof_evaluator.item_checks import CheckSettings, CheckTools, Generated, check_item
from pixelproof_evaluator.item_lpips import identical_replays, replay_scores, score_lpips
from pixelproof_evaluator.perceptual import LayerFeatures, LpipsScorer
from pixelproof_evaluator.runner import EvaluationConfig, run_evaluation

REPLAY_SEED_SHIFT = 1000
CONTRACT = GeneratorContract(timeout_seconds=60)


def _drift_replays() -> Callable[[dict[str, Any]], None]:
    """Turns a model's seed replays into another seed's image, so that every replay
    distance is a real number."""
    seen: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()

    def drift(body: dict[str, Any]) -> None:
        with lock:
            key = (str(body["prompt"]), int(body["seed"]))
            seen[key] += 1
            if seen[key] > 1:
                body["seed"] += REPLAY_SEED_SHIFT

    return drift


@pytest.fixture
def generators(start_refgen: Any) -> Iterator[tuple[str, str, str]]:
    """Stable, the candidate's own generator, and the candidate behind the drifting proxy."""
    stable = start_refgen().url
    candidate = start_refgen(blur=0.8, color_shift=0.05).url
    proxy = start_proxy(candidate, _drift_replays())
    yield stable, candidate, proxy_url(proxy)
    proxy.shutdown()
    proxy.server_close()


@pytest.mark.parametrize("in_workers", [False, True], ids=["one-thread", "check-workers"])
def test_lpips_numbers_are_lpips_on_each_pair(
    generators: tuple[str, str, str], golden_dir: Path, models: Models, in_workers: bool
) -> None:
    stable_url, candidate_url, drifting_url = generators
    items = load_golden_dir(golden_dir).items[:4]
    pool = models.pool if in_workers else None
    assert pool is not None or not in_workers
    config = EvaluationConfig(
        stable_url=stable_url,
        candidate_url=drifting_url,
        contract=CONTRACT,
        gates=QualityGates.model_validate(GATES),
    )
    results, _ = asyncio.run(run_evaluation(items, config, models.scorer, None, pool=pool))
    scorer = models.scorer
    for item, result in zip(items, results, strict=True):
        seed = item.spec.seed
        reference = decode_png(item.reference_png, max_pixels=MAX_PIXELS).rgb_on_backdrop()
        stable = image_again(stable_url, CONTRACT, item, seed)
        candidate = image_again(candidate_url, CONTRACT, item, seed)
        replay = image_again(candidate_url, CONTRACT, item, seed + REPLAY_SEED_SHIFT)
        expected = scorer.distances(
            [(stable, reference), (candidate, reference), (candidate, stable), (candidate, replay)]
        )
        measured = [
            result.stable.lpips,
            result.candidate.lpips,
            result.candidate.divergence,
            result.candidate.replay_distance,
        ]
        assert measured == expected, item.id
        assert result.stable.replay_distance == 0.0
        assert result.candidate.replay_distance is not None and result.candidate.replay_distance > 0


class _CountingScorer:
    """The real scorer, counting the images put through its network."""

    def __init__(self, scorer: LpipsScorer) -> None:
        self.scorer = scorer
        self.images = 0

    def features(self, images: Sequence[NDArray[np.float32]]) -> list[LayerFeatures]:
        self.images += len(images)
        return self.scorer.features(images)

    def feature_distances(
        self, pairs: Sequence[tuple[LayerFeatures, LayerFeatures]]
    ) -> list[float]:
        return self.scorer.feature_distances(pairs)


def test_a_replay_that_is_its_first_image_is_at_zero_without_the_network(
    golden_dir: Path, models: Models
) -> None:
    first_item, other = load_golden_dir(golden_dir).items[:2]
    settings = CheckSettings(QualityGates.model_validate(GATES))
    reply = GenerationResult(first_item.reference_png, 0.0, 1)
    different = GenerationResult(other.reference_png, 0.0, 1)
    counting = _CountingScorer(models.scorer)
    scorer = cast(LpipsScorer, counting)

    firsts = check_item(Generated(first_item, (reply, None), (reply, None)), settings, CheckTools())
    score_lpips(scorer, [firsts])
    replays = check_item(
        Generated(first_item, (reply, reply), (reply, different), replays_only=True),
        settings,
        CheckTools(),
    )
    counting.images = 0
    identical_replays(firsts.features, replays)
    score_lpips(scorer, [replays])
    replay_scores(scorer, firsts.features, replays)

    assert counting.images == 1, "only the replay that differs goes through the network"
    assert replays.stable.replay_distance == 0.0
    distance = replays.candidate.replay_distance
    assert distance is not None and 0 < distance < DIFFERENT_SIZE_DISTANCE
    # The shortcut gives the number LPIPS gives on the pair.
    image = decode_png(first_item.reference_png, max_pixels=MAX_PIXELS).rgb_on_backdrop()
    assert models.scorer.distances([(image, image)]) == [0.0]
