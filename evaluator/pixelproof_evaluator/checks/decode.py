"""Format check: the reply is a decodable PNG within the size limit, and an item that expects
transparency gets an alpha channel that is actually used (catalog F1, F8)."""

from __future__ import annotations

from dataclasses import dataclass

from ..images import DecodedImage, ImageDecodeError, decode_png


@dataclass(frozen=True)
class FormatResult:
    decoded: bool
    error: str | None
    mode: str | None
    has_alpha: bool
    alpha_used: bool
    alpha_expected: bool

    @property
    def alpha_ok(self) -> bool:
        return not self.alpha_expected or (self.has_alpha and self.alpha_used)

    @property
    def alpha_problem(self) -> str | None:
        if self.alpha_ok or not self.decoded:
            return None
        if not self.has_alpha:
            return f"expected an alpha channel, found none (mode {self.mode})"
        return "expected transparency, the alpha channel is fully opaque"


def check_format(
    data: bytes, *, alpha_expected: bool, max_pixels: int
) -> tuple[FormatResult, DecodedImage | None]:
    try:
        image = decode_png(data, max_pixels=max_pixels)
    except ImageDecodeError as exc:
        return FormatResult(False, str(exc), None, False, False, alpha_expected), None
    result = FormatResult(True, None, image.mode, image.has_alpha, image.alpha_used, alpha_expected)
    return result, image
