"""Quality gates the evaluator judges from the images themselves."""

from __future__ import annotations

from pydantic import Field

from .base import ApiModel


class LpipsGate(ApiModel):
    """Perceptual distance to the golden reference (0 identical, 1 unrelated)."""

    max_mean: float = Field(ge=0, le=1)
    """Highest LPIPS, averaged over the golden items, that passes."""
    max_item: float | None = Field(default=None, ge=0, le=1)
    """Highest LPIPS any single item may have; no per-item limit when unset."""


class TypographyGate(ApiModel):
    """OCR of expected text; an item passes when its character error rate is at most maxCharErrorRate."""

    min_pass_rate: float = Field(ge=0, le=1)
    """Lowest share of text-bearing items whose OCR passes that passes the gate."""
    max_char_error_rate: float = Field(default=0.2, ge=0, le=1)
    """Highest character error rate at which an item's OCR still passes."""


class FormatGate(ApiModel):
    """File format checks: alpha channel and size."""

    alpha: bool = Field(
        default=True, description="Items that expect alpha must have a real alpha channel."
    )
    size: bool = Field(
        default=True, description="Width, height and aspect ratio must match the request."
    )


class DeterminismGate(ApiModel):
    """Same prompt and seed twice; LPIPS between the two must stay under the tolerance."""

    max_replay_distance: float = Field(ge=0, le=1)
    """Highest LPIPS between two renders of the same prompt and seed that passes."""


class FailureRateGate(ApiModel):
    """Share of the evaluator's requests to the candidate that returned no usable image."""

    max: float = Field(ge=0, le=1)
    """Highest share of failed requests (error status, timeout, image that does not decode) that passes."""


class LatencyGate(ApiModel):
    """Request latency the evaluator measured on the golden set."""

    max_p50_ms: float | None = Field(default=None, gt=0)
    """Highest candidate median request latency, in milliseconds, that passes."""
    max_p95_ms: float | None = Field(default=None, gt=0)
    """Highest candidate 95th percentile request latency, in milliseconds, that passes."""
    max_regression: float | None = Field(
        default=None,
        ge=0,
        description="Candidate p50 may exceed stable p50 by at most this fraction.",
    )


class ColorGate(ApiModel):
    """Mean colour shift (CIELAB delta E) from the reference."""

    max_delta_e: float = Field(gt=0)
    """Highest mean CIELAB delta E from the reference that passes."""


class SharpnessGate(ApiModel):
    """Candidate sharpness (variance of the Laplacian) relative to the reference."""

    min_ratio: float = Field(gt=0, le=1)
    """Lowest candidate-to-reference sharpness ratio that passes."""


class VersusStableGate(ApiModel):
    """Paired comparison on the same items: candidate must not be worse than stable
    by more than maxRegression LPIPS with statistical significance."""

    max_regression: float = Field(ge=0, le=1)
    """LPIPS by which the candidate may be worse than stable, per item on average, before it fails."""
    significance: float = Field(default=0.05, gt=0, lt=1)
    """p-value below which a regression over maxRegression counts as real."""
    min_items: int = Field(default=6, ge=3)
    """Fewest paired items needed for a verdict; fewer make it inconclusive."""


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
