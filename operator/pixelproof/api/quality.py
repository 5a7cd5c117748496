"""Quality gates the evaluator judges from the images themselves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import ApiModel

MIN_POWER = Field(
    default=None,
    gt=0,
    lt=1,
    description="A pass is Inconclusive unless the set could have detected the gate's "
    "breach with at least this probability.",
)


def _one_bound(model: ApiModel, fields: tuple[str, ...]) -> None:
    if all(getattr(model, name) is None for name in fields):
        names = " or ".join(model.model_fields[name].alias or name for name in fields)
        raise ValueError(f"give {names}")


class LpipsGate(ApiModel):
    """Perceptual distance to the golden reference (0 identical, 1 unrelated)."""

    max_mean: float | None = Field(default=None, ge=0, le=1)
    max_item: float | None = Field(default=None, ge=0, le=1)
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="At most this multiple of the golden set's calibrated noise floor (mean over items).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> LpipsGate:
        _one_bound(self, ("max_mean", "max_noise_multiple"))
        return self


class TypographyGate(ApiModel):
    """OCR of expected text; an item passes when its character error rate is at most maxCharErrorRate."""

    min_pass_rate: float = Field(ge=0, le=1)
    max_char_error_rate: float = Field(default=0.2, ge=0, le=1)


class FormatGate(ApiModel):
    alpha: bool = Field(
        default=True, description="Items that expect alpha must have a real alpha channel."
    )
    size: bool = Field(
        default=True, description="Width, height and aspect ratio must match the request."
    )


class DeterminismGate(ApiModel):
    """Same prompt and seed twice; LPIPS between the two must stay under the tolerance."""

    max_replay_distance: float | None = Field(default=None, ge=0, le=1)
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="At most this multiple of the golden set's calibrated noise floor (worst item).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> DeterminismGate:
        _one_bound(self, ("max_replay_distance", "max_noise_multiple"))
        return self


class FailureRateGate(ApiModel):
    max: float = Field(ge=0, le=1)
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


class LatencyGate(ApiModel):
    max_p50_ms: float | None = Field(default=None, gt=0)
    max_p95_ms: float | None = Field(default=None, gt=0)
    max_p99_ms: float | None = Field(
        default=None, gt=0, description="Candidate p99 over every request, in ms."
    )
    max_regression: float | None = Field(
        default=None,
        ge=0,
        description="Each compared candidate percentile may exceed stable's by at most this "
        "fraction.",
    )
    compare_percentiles: list[Literal[50, 95, 99]] = Field(
        default=[50, 95, 99],
        min_length=1,
        description="Percentiles maxRegression compares, over every request of each model "
        "(first generations and replays).",
    )
    min_difference_ms: float = Field(
        default=0,
        ge=0,
        description="A regression must also exceed stable by more than this many ms: a few "
        "ms more on a fast baseline is scheduling noise.",
    )


class ColorGate(ApiModel):
    """Mean colour shift (CIELAB delta E) from the reference."""

    max_delta_e: float | None = Field(default=None, gt=0)
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="At most this multiple of the golden set's calibrated noise floor (mean over items).",
    )

    @model_validator(mode="after")
    def _bounded(self) -> ColorGate:
        _one_bound(self, ("max_delta_e", "max_noise_multiple"))
        return self


class SharpnessGate(ApiModel):
    """Candidate sharpness (variance of the Laplacian) relative to the reference."""

    min_ratio: float | None = Field(default=None, gt=0, le=1)
    max_noise_multiple: float | None = Field(
        default=None,
        gt=0,
        description="Mean sharpness deficit (-ln of the ratio) at most this multiple of the "
        "golden set's calibrated noise floor.",
    )

    @model_validator(mode="after")
    def _bounded(self) -> SharpnessGate:
        _one_bound(self, ("min_ratio", "max_noise_multiple"))
        return self


class SsimGate(ApiModel):
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


class VersusStableGate(ApiModel):
    """Paired comparison on the same items: candidate must not be worse than stable
    by more than maxRegression LPIPS with statistical significance."""

    max_regression: float = Field(ge=0, le=1)
    significance: float = Field(default=0.05, gt=0, lt=1)
    min_items: int = Field(default=6, ge=3)
    min_power: float | None = MIN_POWER


class QualityGates(ApiModel):
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
