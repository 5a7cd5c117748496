"""The checks of one golden item's outputs: decode, format and size, colour, sharpness, SSIM,
input preservation and colour, classifier, typography and the report's thumbnails. LPIPS is
left to item_lpips.py, so that whoever holds the scorer can batch it across items (a GPU
wants whole batches).

The seed replays can be checked apart (`check_replays`, then `replay_scores` and `join_replays`): an item's first
generations are then checked while its replays are still being generated.

Everything here is plain data in and out, so one item can be checked in this process or in
a worker process with the same code and the same numbers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pixelproof.api.quality import QualityGates

from .checks.classifier import ImageClassifier
from .checks.color import mean_delta_e
from .checks.format import FormatResult, check_format, check_size
from .checks.input_color import input_delta_e
from .checks.preservation import preservation_error
from .checks.sharpness import sharpness_ratio
from .checks.ssim import gate_similarity
from .checks.text_assignment import ExpectedTextSpec
from .checks.typography import check_typography
from .client import GenerationResult
from .golden import GoldenItem
from .images import DecodedImage, decode_png
from .live_items import hold_to_stable_text, like_output
from .ocr import OcrEngine
from .report_images import write_item_images
from .results import ModelResult
from .timeline import span

if TYPE_CHECKING:
    from .item_lpips import ImageFeatures
    from .reference_prep import PreparedReference

# An output may be larger than requested (the size check reports it), but one this many
# times the requested area is refused before it is decoded.
MAX_AREA_FACTOR = 4
MAX_PIXELS = 64 * 1024 * 1024
DEFAULT_TYPOGRAPHY_CER = 0.2

Role = Literal["stable", "candidate"]
ROLES: tuple[Role, Role] = ("stable", "candidate")
Outputs = tuple[DecodedImage | None, DecodedImage | None]
"""One model's first image and its replay, each None when absent or undecodable."""


@dataclass(frozen=True)
class Generated:
    """Both models' replies for one item: the first generation and its seed replay."""

    item: GoldenItem
    stable: tuple[GenerationResult, GenerationResult | None]
    candidate: tuple[GenerationResult, GenerationResult | None]
    replays_only: bool = False
    """Only the seed replays are to be checked; the first generations are checked apart."""
    reference: PreparedReference | None = None
    """The item's reference, decoded and scored ahead of its first generations."""


@dataclass(frozen=True)
class CheckSettings:
    gates: QualityGates
    image_dir: Path | None = None
    stable_reference: bool = False
    """Live prompts: stable's output stands for the reference (see EvaluationConfig)."""

    @property
    def max_char_error_rate(self) -> float:
        typography = self.gates.typography
        return typography.max_char_error_rate if typography else DEFAULT_TYPOGRAPHY_CER


@dataclass(frozen=True)
class CheckTools:
    """The models an item's checks call; None leaves that check out."""

    ocr: OcrEngine | None = None
    classifier: ImageClassifier | None = None


@dataclass
class CheckedItem:
    """An item's results without LPIPS yet, and the images LPIPS still has to compare."""

    item: GoldenItem
    stable: ModelResult
    candidate: ModelResult
    images: dict[str, str] = field(default_factory=dict)
    to_reference: list[tuple[Role, DecodedImage, DecodedImage]] = field(default_factory=list)
    to_replay: list[tuple[Role, DecodedImage, DecodedImage]] = field(default_factory=list)
    to_stable: list[tuple[Role, DecodedImage, DecodedImage]] = field(default_factory=list)
    """The candidate's output beside stable's, for the divergence gate."""
    to_keep: list[tuple[Role, DecodedImage]] = field(default_factory=list)
    """Images whose features the item's other piece is compared with."""
    features: dict[Role, ImageFeatures] = field(default_factory=dict)
    prepared: PreparedReference | None = None
    live: bool = False
    replays_only: bool = False

    def model(self, role: Role) -> ModelResult:
        return self.stable if role == "stable" else self.candidate


def max_pixels_for(item: GoldenItem) -> int:
    return min(MAX_PIXELS, MAX_AREA_FACTOR * item.width * item.height)


def _without_body(result: GenerationResult | None) -> GenerationResult | None:
    # The reply bytes are decoded by now; results outlive them for the whole evaluation.
    return None if result is None else dataclasses.replace(result, body=None)


def _model(first: GenerationResult, second: GenerationResult | None) -> ModelResult:
    generation = _without_body(first)
    assert generation is not None
    return ModelResult(generation, _without_body(second))


def _decode_one(
    item: GoldenItem, result: GenerationResult | None
) -> tuple[FormatResult | None, DecodedImage | None]:
    if result is None or result.body is None:
        return None, None
    return check_format(
        result.body, alpha_expected=item.spec.alpha, max_pixels=max_pixels_for(item)
    )


def _decode(
    item: GoldenItem, first: GenerationResult, second: GenerationResult | None
) -> tuple[ModelResult, DecodedImage | None, DecodedImage | None]:
    model = _model(first, second)
    model.format, image = _decode_one(item, first)
    if image is not None:
        model.size = check_size(image.width, image.height, item.width, item.height)
    model.replay_format, replay_image = _decode_one(item, second)
    return model, image, replay_image


def _score_image(
    model: ModelResult,
    image: DecodedImage,
    reference: DecodedImage | None,
    item: GoldenItem,
    settings: CheckSettings,
    tools: CheckTools,
) -> None:
    if reference is not None:
        model.delta_e = mean_delta_e(image, reference)
        model.sharpness = sharpness_ratio(image, reference)
        model.ssim = gate_similarity(settings.gates.ssim, image, reference)
    if item.input is not None:
        model.preservation = preservation_error(image, item.input)
        model.input_delta_e = input_delta_e(image, item.spec.task, item.input)
    if tools.classifier is not None:
        model.flagged = tools.classifier.flagged(image)
    if tools.ocr is not None and item.spec.text:
        expected = [ExpectedTextSpec(t.text, t.font_size) for t in item.spec.text]
        model.typography = check_typography(
            tools.ocr, image, expected, max_char_error_rate=settings.max_char_error_rate
        )


def _decode_both(
    generated: Generated, live: bool
) -> tuple[GoldenItem, dict[Role, ModelResult], dict[Role, Outputs]]:
    item = generated.item
    stable, stable_image, stable_replay = _decode(item, *generated.stable)
    if live:
        item = like_output(item, stable_image)
    candidate, candidate_image, candidate_replay = _decode(item, *generated.candidate)
    models: dict[Role, ModelResult] = {"stable": stable, "candidate": candidate}
    decoded: dict[Role, Outputs] = {
        "stable": (stable_image, stable_replay),
        "candidate": (candidate_image, candidate_replay),
    }
    return item, models, decoded


def check_item(generated: Generated, settings: CheckSettings, tools: CheckTools) -> CheckedItem:
    if generated.replays_only:
        return check_replays(generated, settings)
    live = settings.stable_reference
    with span("decode", generated.item.id):
        item, models, decoded = _decode_both(generated, live)
    stable_image, candidate_image = decoded["stable"][0], decoded["candidate"][0]
    prepared = None if live else generated.reference
    if prepared is not None:
        reference: DecodedImage | None = prepared.image
    else:
        reference = stable_image if live else decode_png(item.reference_png, max_pixels=MAX_PIXELS)
    stable, candidate = models["stable"], models["candidate"]
    checked = CheckedItem(item, stable, candidate, live=live, prepared=prepared)
    for role in ROLES:
        image, replay_image = decoded[role]
        if image is None:
            continue
        # With stable's output as the reference, stable against itself measures nothing.
        own_reference = None if live and role == "stable" else reference
        if own_reference is not None:
            checked.to_reference.append((role, image, own_reference))
        if replay_image is not None:
            checked.to_replay.append((role, image, replay_image))
        elif _pair(generated, role)[1] is None:
            checked.to_keep.append((role, image))
        with span("scores", item.id):
            _score_image(models[role], image, own_reference, item, settings, tools)
    if not live and candidate_image is not None and stable_image is not None:
        checked.to_stable.append(("candidate", candidate_image, stable_image))
    if live:
        hold_to_stable_text(stable, candidate)
    if settings.image_dir is not None:
        with span("thumbnails", item.id):
            checked.images = write_item_images(
                settings.image_dir,
                item.id,
                None if live else reference,
                stable_image,
                candidate_image,
            )
    return checked


def _pair(generated: Generated, role: Role) -> tuple[GenerationResult, GenerationResult | None]:
    return generated.stable if role == "stable" else generated.candidate


def check_replays(generated: Generated, settings: CheckSettings) -> CheckedItem:
    """The seed replays' checks alone: their format and, once scored, their features, which
    `replay_scores` compares with the first images' own."""
    item = generated.item
    models: dict[Role, ModelResult] = {}
    replays: dict[Role, DecodedImage | None] = {}
    with span("decode replays", item.id):
        for role in ROLES:
            first, second = _pair(generated, role)
            model = _model(first, second)
            model.replay_format, replays[role] = _decode_one(item, second)
            models[role] = model
            if settings.stable_reference and role == "stable":
                # Live, what the candidate is held to follows stable's first output.
                item = like_output(item, _decode(item, first, None)[1])
    live = settings.stable_reference
    checked = CheckedItem(item, models["stable"], models["candidate"], live=live, replays_only=True)
    for role in ROLES:
        image = replays[role]
        if image is not None:
            checked.to_keep.append((role, image))
    return checked
