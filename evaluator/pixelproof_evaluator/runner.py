"""Runs one evaluation: asks both models for every golden item (and once more for the seed
replay), and scores outputs while later items are still being generated.

Images are checked in small groups as they arrive and then dropped, so memory stays flat
however large the golden set is; LPIPS still runs batched within each group."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

from .checks.classifier import build_classifier
from .checks.color import mean_delta_e
from .checks.determinism import replay_distances
from .checks.format import check_format, check_size
from .checks.input_color import input_delta_e
from .checks.lpips import reference_distances
from .checks.preservation import preservation_error
from .checks.sharpness import sharpness_ratio
from .checks.ssim import gate_similarity
from .checks.text_assignment import ExpectedTextSpec
from .checks.typography import check_typography
from .client import GenerationResult, GeneratorClient, RetryPolicy, byte_budget
from .golden import GoldenItem
from .images import DecodedImage, decode_png
from .ocr import OcrEngine
from .perceptual import LpipsScorer
from .report_images import write_item_images
from .request_body import request_inputs
from .results import ItemResult, ModelResult

# An output may be larger than requested (the size check reports it), but one this many
# times the requested area is refused before it is decoded.
MAX_AREA_FACTOR = 4
MAX_PIXELS = 64 * 1024 * 1024
DEFAULT_TYPOGRAPHY_CER = 0.2


@dataclass
class EvaluationConfig:
    stable_url: str
    candidate_url: str
    contract: GeneratorContract
    gates: QualityGates
    concurrency: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    replay: bool = True
    check_group: int = 8
    image_dir: Path | None = None


@dataclass
class _Generated:
    item: GoldenItem
    stable: tuple[GenerationResult, GenerationResult | None]
    candidate: tuple[GenerationResult, GenerationResult | None]


def max_pixels_for(item: GoldenItem) -> int:
    return min(MAX_PIXELS, MAX_AREA_FACTOR * item.width * item.height)


class Checker:
    """Scores generated outputs against their references. Thread-confined: it runs in one
    worker thread so LPIPS and OCR never block the event loop that drives requests."""

    def __init__(
        self, config: EvaluationConfig, scorer: LpipsScorer, ocr: OcrEngine | None
    ) -> None:
        self.config = config
        self.scorer = scorer
        self.ocr = ocr
        typography = config.gates.typography
        self.max_cer = typography.max_char_error_rate if typography else DEFAULT_TYPOGRAPHY_CER
        gate = config.gates.classifier
        self.classifier = build_classifier(gate) if gate is not None else None

    def check_group(self, group: Sequence[_Generated]) -> list[ItemResult]:
        references = {
            g.item.id: decode_png(g.item.reference_png, max_pixels=MAX_PIXELS) for g in group
        }
        decoded: dict[tuple[str, str], tuple[DecodedImage | None, DecodedImage | None]] = {}
        results = []
        for g in group:
            per_model = {}
            for name, (first, second) in (("stable", g.stable), ("candidate", g.candidate)):
                model, image, replay_image = self._decode(g.item, first, second)
                per_model[name] = model
                decoded[(g.item.id, name)] = (image, replay_image)
            results.append(ItemResult(g.item, per_model["stable"], per_model["candidate"]))
        self._score_lpips(results, references, decoded)
        for result in results:
            reference = references[result.item.id]
            for name in ("stable", "candidate"):
                model = getattr(result, name)
                image, _ = decoded[(result.item.id, name)]
                if image is None:
                    continue
                model.delta_e = mean_delta_e(image, reference)
                model.sharpness = sharpness_ratio(image, reference)
                model.ssim = gate_similarity(self.config.gates.ssim, image, reference)
                item_input = result.item.input
                if item_input is not None:
                    model.preservation = preservation_error(image, item_input)
                    model.input_delta_e = input_delta_e(image, result.item.spec.task, item_input)
                if self.classifier is not None:
                    model.flagged = self.classifier.flagged(image)
                if self.ocr is not None and result.item.spec.text:
                    expected = [
                        ExpectedTextSpec(t.text, t.font_size) for t in result.item.spec.text
                    ]
                    model.typography = check_typography(
                        self.ocr, image, expected, max_char_error_rate=self.max_cer
                    )
            if self.config.image_dir is not None:
                result.images = write_item_images(
                    self.config.image_dir,
                    result.item.id,
                    reference,
                    decoded[(result.item.id, "stable")][0],
                    decoded[(result.item.id, "candidate")][0],
                )
        return results

    def _decode(
        self, item: GoldenItem, first: GenerationResult, second: GenerationResult | None
    ) -> tuple[ModelResult, DecodedImage | None, DecodedImage | None]:
        model = ModelResult(first, second)
        limit = max_pixels_for(item)
        image = replay_image = None
        if first.body is not None:
            model.format, image = check_format(
                first.body, alpha_expected=item.spec.alpha, max_pixels=limit
            )
            if image is not None:
                model.size = check_size(image.width, image.height, item.width, item.height)
        if second is not None and second.body is not None:
            model.replay_format, replay_image = check_format(
                second.body, alpha_expected=item.spec.alpha, max_pixels=limit
            )
        return model, image, replay_image

    def _score_lpips(
        self,
        results: list[ItemResult],
        references: dict[str, DecodedImage],
        decoded: dict[tuple[str, str], tuple[DecodedImage | None, DecodedImage | None]],
    ) -> None:
        to_reference: list[tuple[ModelResult, DecodedImage, DecodedImage]] = []
        to_replay: list[tuple[ModelResult, DecodedImage, DecodedImage]] = []
        for result in results:
            for name in ("stable", "candidate"):
                model = getattr(result, name)
                image, replay_image = decoded[(result.item.id, name)]
                if image is not None:
                    to_reference.append((model, image, references[result.item.id]))
                    if replay_image is not None:
                        to_replay.append((model, image, replay_image))
        scores = reference_distances(self.scorer, [(img, ref) for _, img, ref in to_reference])
        for (model, _, _), score in zip(to_reference, scores, strict=True):
            model.lpips = score
        replays = replay_distances(self.scorer, [(a, b) for _, a, b in to_replay])
        for (model, _, _), score in zip(to_replay, replays, strict=True):
            model.replay_distance = score


async def _generate_item(
    item: GoldenItem, client: GeneratorClient, replay: bool
) -> tuple[GenerationResult, GenerationResult | None]:
    spec = item.spec
    inputs = request_inputs(item)
    first = await client.generate(spec.prompt, spec.seed, item.size, spec.alpha, inputs)
    if not replay or not first.ok:
        return first, None
    second = await client.generate(spec.prompt, spec.seed, item.size, spec.alpha, inputs)
    return first, second


async def run_evaluation(
    items: Sequence[GoldenItem],
    config: EvaluationConfig,
    scorer: LpipsScorer,
    ocr: OcrEngine | None,
    *,
    progress: Callable[[int], Any] | None = None,
) -> tuple[list[ItemResult], dict[str, dict[str, Any]]]:
    """Per-item results in golden-set order, and each model's client statistics."""
    checker = Checker(config, scorer, ocr)
    queue: asyncio.Queue[_Generated | None] = asyncio.Queue(maxsize=2 * config.check_group)
    results: dict[str, ItemResult] = {}

    # One byte budget for both models: it bounds the evaluation's memory, not each client's.
    budget = byte_budget()
    async with (
        GeneratorClient(
            config.stable_url,
            config.contract,
            concurrency=config.concurrency,
            retry=config.retry,
            budget=budget,
        ) as stable,
        GeneratorClient(
            config.candidate_url,
            config.contract,
            concurrency=config.concurrency,
            retry=config.retry,
            budget=budget,
        ) as candidate,
    ):

        async def produce(item: GoldenItem) -> None:
            pair = await asyncio.gather(
                _generate_item(item, stable, config.replay),
                _generate_item(item, candidate, config.replay),
            )
            await queue.put(_Generated(item, pair[0], pair[1]))

        async def consume() -> None:
            finished = False
            while not finished:
                first = await queue.get()
                group = []
                if first is None:
                    break
                group.append(first)
                while len(group) < config.check_group and not queue.empty():
                    nxt = queue.get_nowait()
                    if nxt is None:
                        finished = True
                        break
                    group.append(nxt)
                for result in await asyncio.to_thread(checker.check_group, group):
                    results[result.item.id] = result
                if progress is not None:
                    progress(len(group))

        # Requests are issued in golden-set order but bounded per model by the clients'
        # semaphores; a small window keeps early items from waiting behind the whole set.
        window = asyncio.Semaphore(max(2 * config.concurrency, config.check_group))

        async def bounded(item: GoldenItem) -> None:
            async with window:
                await produce(item)

        # An oversized input is refused before either model receives any request.
        for item in items:
            if item.input is not None:
                spec = item.spec
                stable.request(spec.prompt, spec.seed, item.size, spec.alpha, request_inputs(item))
        consumer = asyncio.create_task(consume())
        try:
            await asyncio.gather(*(bounded(item) for item in items))
        finally:
            await queue.put(None)
            await consumer
        stats = {"stable": stable.stats.to_dict(), "candidate": candidate.stats.to_dict()}
    return [results[item.id] for item in items], stats


def progress_bar(total: int) -> Any:
    """A bar on stderr when a person is watching; silent in a Job's log."""
    from tqdm import tqdm

    return tqdm(total=total, unit="item", file=sys.stderr, disable=not sys.stderr.isatty())
