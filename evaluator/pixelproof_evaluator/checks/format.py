"""Format parity (catalog F1, F3, F8): the reply is a decodable PNG within the size limit,
an item that expects transparency gets an alpha channel that is actually used, and the image
has the requested width, height and aspect ratio."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pixelproof.api.evaluation import GateVerdict
from pixelproof.api.quality import FormatGate

from ..images import DecodedImage, ImageDecodeError, decode_png
from .gate import GateResult, no_data

if TYPE_CHECKING:
    from ..results import ItemResult, ModelResult
    from .evidence import Evidence

ASPECT_TOLERANCE = 0.01
ALPHA_THRESHOLD = "alpha used"
SIZE_THRESHOLD = "requested size"


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


@dataclass(frozen=True)
class SizeResult:
    width: int
    height: int
    expected_width: int
    expected_height: int

    @property
    def size_ok(self) -> bool:
        return (self.width, self.height) == (self.expected_width, self.expected_height)

    @property
    def aspect_ok(self) -> bool:
        expected = self.expected_width / self.expected_height
        return abs(self.width / self.height - expected) / expected <= ASPECT_TOLERANCE

    @property
    def problem(self) -> str | None:
        if self.size_ok:
            return None
        what = "wrong size" if self.aspect_ok else "wrong size and aspect ratio"
        return f"{what}: got {self.width}x{self.height}, requested {self.expected_width}x{self.expected_height}"


def check_format(
    data: bytes, *, alpha_expected: bool, max_pixels: int
) -> tuple[FormatResult, DecodedImage | None]:
    try:
        image = decode_png(data, max_pixels=max_pixels)
    except ImageDecodeError as exc:
        return FormatResult(False, str(exc), None, False, False, alpha_expected), None
    result = FormatResult(True, None, image.mode, image.has_alpha, image.alpha_used, alpha_expected)
    return result, image


def check_size(width: int, height: int, expected_width: int, expected_height: int) -> SizeResult:
    return SizeResult(width, height, expected_width, expected_height)


def _share_off(
    name: str,
    threshold: str,
    checked: Sequence[ItemResult],
    problem: Callable[[ModelResult], str | None],
    *,
    all_good: str,
    some_off: str,
) -> GateVerdict:
    """Fails with the share of checked candidate images that have a problem, naming the first."""
    off = [(r.item.id, p) for r in checked if (p := problem(r.candidate)) is not None]
    if not off:
        return GateVerdict(
            name=name, verdict="Pass", value=0.0, threshold=threshold, reason=all_good
        )
    item, first = off[0]
    return GateVerdict(
        name=name,
        verdict="Fail",
        value=len(off) / len(checked),
        threshold=threshold,
        reason=f"{name}: {len(off)} of {len(checked)} {some_off} (e.g. {item}: {first})",
    )


def _alpha(evidence: Evidence) -> GateVerdict:
    wanted = [r for r in evidence.results if r.item.spec.alpha]
    if not wanted:
        return GateVerdict(
            name="format.alpha",
            verdict="Pass",
            value=None,
            threshold=ALPHA_THRESHOLD,
            reason="no golden item expects alpha",
        )
    expecting = [r for r in wanted if r.candidate.usable]
    if not expecting:
        return no_data(
            "format.alpha",
            ALPHA_THRESHOLD,
            f"format.alpha: none of the {len(wanted)} candidate images of items that expect "
            "alpha decoded",
        )
    return _share_off(
        "format.alpha",
        ALPHA_THRESHOLD,
        expecting,
        lambda model: model.format.alpha_problem if model.format is not None else None,
        all_good=f"all {len(expecting)} items that expect alpha have it",
        some_off="items that expect alpha lack it",
    )


def _size(evidence: Evidence) -> GateVerdict:
    checked = [r for r in evidence.usable() if r.candidate.size is not None]
    if not checked:
        return no_data("format.size", SIZE_THRESHOLD, "format.size: no candidate image decoded")
    return _share_off(
        "format.size",
        SIZE_THRESHOLD,
        checked,
        lambda model: model.size.problem if model.size is not None else None,
        all_good=f"all {len(checked)} images have the requested size",
        some_off="images off",
    )


def judge(gate: FormatGate, evidence: Evidence) -> GateResult:
    verdicts = []
    if gate.alpha:
        verdicts.append(_alpha(evidence))
    if gate.size:
        verdicts.append(_size(evidence))
    return GateResult(verdicts)
