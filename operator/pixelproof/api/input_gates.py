"""Quality gates for image-to-image golden items (edit, inpaint, upscale), judged against
each item's input image rather than only its reference."""

from __future__ import annotations

from pydantic import Field, model_validator

from .gate_bounds import QualityGate, one_bound

NOISE_MULTIPLE_DESCRIPTION = (
    "At most this multiple of the golden set's calibrated noise floor (mean over items)."
)


class OutputSizeGate(QualityGate):
    """Output size of image-to-image items: the input's size for edit and inpaint, the
    input's size times params.scale for upscale (after the input's EXIF orientation)."""

    max_off_rate: float = Field(default=0, ge=0, le=1)
    """Highest share of image-to-image items with an output of another size that passes."""


class PreservationGate(QualityGate):
    """Inpainting must leave the region outside the mask as it was: mean absolute
    difference from the input there, in 8-bit levels (0 untouched, 255 inverted)."""

    max_mean_error: float | None = Field(default=None, gt=0, le=255)
    """Highest mean difference outside the mask, averaged over inpaint items, that passes."""
    max_noise_multiple: float | None = Field(
        default=None, gt=0, description=NOISE_MULTIPLE_DESCRIPTION
    )

    @model_validator(mode="after")
    def _bounded(self) -> PreservationGate:
        one_bound(self, ("max_mean_error", "max_noise_multiple"))
        return self


class InputColorGate(QualityGate):
    """Colour fidelity to the input where the task keeps colour: the whole image for upscale,
    the region outside the mask for inpaint (CIELAB delta E of block mean colours)."""

    max_delta_e: float | None = Field(default=None, gt=0)
    """Highest mean delta E from the input, averaged over the items, that passes."""
    max_noise_multiple: float | None = Field(
        default=None, gt=0, description=NOISE_MULTIPLE_DESCRIPTION
    )

    @model_validator(mode="after")
    def _bounded(self) -> InputColorGate:
        one_bound(self, ("max_delta_e", "max_noise_multiple"))
        return self


class RobustnessGate(QualityGate):
    """Awkward inputs (JPEG-artefacted, grayscale, palette, CMYK, 16-bit, EXIF-rotated, tiny,
    very large): the candidate must serve every item of the tag that stable serves, and
    not land much further from the reference than stable does on it."""

    tag: str = Field(default="robustness", min_length=1, max_length=63)
    """Tag of the golden items the gate judges."""
    max_lpips_excess: float = Field(default=0.1, gt=0, le=1)
    """Highest LPIPS to the reference above stable's on the same item that passes, per item."""
