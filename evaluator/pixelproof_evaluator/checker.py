"""Scoring of generated outputs against their references, and what an evaluation run is
configured with. The checker is thread-confined: it runs in one worker thread so LPIPS and
OCR never block the event loop that drives requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pixelproof.api.quality import QualityGates
from pixelproof.api.workloads import GeneratorContract

from .checks.classifier import build_classifier
from .checks.color import mean_delta_e
from .checks.determinism import replay_distances
from .checks.format import check_format, check_size
from .checks.lpips import reference_distances
from .checks.sharpness import sharpness_ratio
from .checks.ssim import gate_similarity
from .checks.text_assignment import ExpectedTextSpec
from .checks.typography import check_typography
from .client import GenerationResult, RetryPolicy
from .golden import GoldenItem
from .images import DecodedImage, decode_png
from .live_items import hold_to_stable_text, like_output
from .ocr import OcrEngine
from .perceptual import LpipsScorer
from .report_images import write_item_images
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
    stable_reference: bool = False
    """Live prompts have no reference image: stable's output for the same prompt and seed
    takes its place, and the candidate is held to stable's format, size and text."""


@dataclass
class Generated:
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

    def check_group(self, group: Sequence[Generated]) -> list[ItemResult]:
        live = self.config.stable_reference
        references: dict[str, DecodedImage | None] = {}
        decoded: dict[tuple[str, str], tuple[DecodedImage | None, DecodedImage | None]] = {}
        results = []
        for g in group:
            item = g.item
            stable, stable_image, stable_replay = self._decode(item, *g.stable)
            if live:
                item = like_output(item, stable_image)
                references[item.id] = stable_image
            else:
                references[item.id] = decode_png(item.reference_png, max_pixels=MAX_PIXELS)
            candidate, image, replay_image = self._decode(item, *g.candidate)
            decoded[(item.id, "stable")] = (stable_image, stable_replay)
            decoded[(item.id, "candidate")] = (image, replay_image)
            results.append(ItemResult(item, stable, candidate))
        self._score_lpips(results, references, decoded)
        for result in results:
            reference = references[result.item.id]
            for name in ("stable", "candidate"):
                self._score_model(result, name, decoded[(result.item.id, name)][0], reference)
            if live:
                hold_to_stable_text(result)
            if self.config.image_dir is not None:
                result.images = write_item_images(
                    self.config.image_dir,
                    result.item.id,
                    None if live else reference,
                    decoded[(result.item.id, "stable")][0],
                    decoded[(result.item.id, "candidate")][0],
                )
        return results

    def _score_model(
        self,
        result: ItemResult,
        name: str,
        image: DecodedImage | None,
        reference: DecodedImage | None,
    ) -> None:
        if image is None:
            return
        model: ModelResult = getattr(result, name)
        # With stable's output as the reference, stable against itself measures nothing.
        if reference is not None and not (self.config.stable_reference and name == "stable"):
            model.delta_e = mean_delta_e(image, reference)
            model.sharpness = sharpness_ratio(image, reference)
            model.ssim = gate_similarity(self.config.gates.ssim, image, reference)
        if self.classifier is not None:
            model.flagged = self.classifier.flagged(image)
        if self.ocr is not None and result.item.spec.text:
            expected = [ExpectedTextSpec(t.text, t.font_size) for t in result.item.spec.text]
            model.typography = check_typography(
                self.ocr, image, expected, max_char_error_rate=self.max_cer
            )

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
        references: dict[str, DecodedImage | None],
        decoded: dict[tuple[str, str], tuple[DecodedImage | None, DecodedImage | None]],
    ) -> None:
        live = self.config.stable_reference
        to_reference: list[tuple[ModelResult, DecodedImage, DecodedImage]] = []
        to_replay: list[tuple[ModelResult, DecodedImage, DecodedImage]] = []
        to_stable: list[tuple[ModelResult, DecodedImage, DecodedImage]] = []
        for result in results:
            reference = references[result.item.id]
            stable_image = decoded[(result.item.id, "stable")][0]
            for name in ("stable", "candidate"):
                model = getattr(result, name)
                image, replay_image = decoded[(result.item.id, name)]
                if image is None:
                    continue
                if reference is not None and not (live and name == "stable"):
                    to_reference.append((model, image, reference))
                if replay_image is not None:
                    to_replay.append((model, image, replay_image))
                if name == "candidate" and stable_image is not None and not live:
                    to_stable.append((model, image, stable_image))
        scores = reference_distances(self.scorer, [(img, ref) for _, img, ref in to_reference])
        for (model, _, _), score in zip(to_reference, scores, strict=True):
            model.lpips = score
            if live:
                model.divergence = score
        divergences = reference_distances(self.scorer, [(c, s) for _, c, s in to_stable])
        for (model, _, _), score in zip(to_stable, divergences, strict=True):
            model.divergence = score
        replays = replay_distances(self.scorer, [(a, b) for _, a, b in to_replay])
        for (model, _, _), score in zip(to_replay, replays, strict=True):
            model.replay_distance = score
