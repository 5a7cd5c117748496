"""Quality gates the evaluator judges from the images themselves."""

from __future__ import annotations

from pydantic import Field

from .base import ApiModel


class LpipsGate(ApiModel):
    """Perceptual distance to the golden reference (0 identical, 1 unrelated)."""

    max_mean: float = Field(ge=0, le=1)
    max_item: float | None = Field(default=None, ge=0, le=1)


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

    max_replay_distance: float = Field(ge=0, le=1)


class FailureRateGate(ApiModel):
    max: float = Field(ge=0, le=1)


class LatencyGate(ApiModel):
    max_p50_ms: float | None = Field(default=None, gt=0)
    max_p95_ms: float | None = Field(default=None, gt=0)
    max_regression: float | None = Field(
        default=None,
        ge=0,
        description="Candidate p50 may exceed stable p50 by at most this fraction.",
    )


class ColorGate(ApiModel):
    """Mean colour shift (CIELAB delta E) from the reference."""

    max_delta_e: float = Field(gt=0)


class SharpnessGate(ApiModel):
    """Candidate sharpness (variance of the Laplacian) relative to the reference."""

    min_ratio: float = Field(gt=0, le=1)


class VersusStableGate(ApiModel):
    """Paired comparison on the same items: candidate must not be worse than stable
    by more than maxRegression LPIPS with statistical significance."""

    max_regression: float = Field(ge=0, le=1)
    significance: float = Field(default=0.05, gt=0, lt=1)
    min_items: int = Field(default=6, ge=3)


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
