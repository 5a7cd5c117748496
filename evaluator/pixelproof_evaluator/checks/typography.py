"""Typography (catalog F2, F11): OCR the image and compare each expected text with what was
read (text_assignment.py says which line reads which text), as a character error rate, per
font size. The gate holds the share of items whose every text passes to a minimum."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pixelproof.api.quality import TypographyGate

from ..images import DecodedImage
from ..ocr import OcrEngine
from .gate import GateResult, compare, fmt, no_data, within
from .text_assignment import ExpectedTextSpec, TextScore, assign

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence


@dataclass(frozen=True)
class TypographyResult:
    recognised: list[str]
    texts: list[TextScore]

    @property
    def passed(self) -> bool:
        return all(score.passed for score in self.texts)

    @property
    def worst_cer(self) -> float:
        return max((score.cer for score in self.texts), default=0.0)


def check_typography(
    engine: OcrEngine,
    image: DecodedImage,
    expected: Sequence[ExpectedTextSpec],
    *,
    max_char_error_rate: float,
) -> TypographyResult:
    rgb = np.clip(image.rgb_on_backdrop() * 255.0 + 0.5, 0, 255).astype(np.uint8)
    lines = engine.read(rgb)
    return TypographyResult(
        [line.text for line in lines], assign(expected, lines, max_char_error_rate)
    )


NO_FONT_SIZE = "no font size"


def _bucket(text: TextScore) -> int | None:
    return text.font_size or None


def _by_font_size(read: Sequence[ItemResult]) -> dict[int | None, list[bool]]:
    """Pass or fail of each text, by font size; texts without a size in their own bucket."""
    by_size: dict[int | None, list[bool]] = defaultdict(list)
    for r in read:
        for text in r.candidate.typography.texts if r.candidate.typography else []:
            by_size[_bucket(text)].append(text.passed)
    return dict(sorted(by_size.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))


def _label(size: int | None) -> str:
    return f"{size}px" if size is not None else NO_FONT_SIZE


def _score_key(size: int | None) -> str:
    return f"typographyPassRate.{size}px" if size is not None else "typographyPassRate.noFontSize"


def _worst(read: Sequence[ItemResult]) -> str:
    worst = max(
        read, key=lambda r: r.candidate.typography.worst_cer if r.candidate.typography else 0.0
    )
    if not worst.candidate.typography:
        return ""
    text = max(worst.candidate.typography.texts, key=lambda t: t.cer)
    if worst.item.private:
        return f"; worst {worst.item.id}: character error rate {fmt(text.cer)}"
    return f"; worst {worst.item.id}: expected {text.expected!r}, read {text.matched!r}"


def _why_unread(with_text: Sequence[ItemResult]) -> str:
    if not with_text:
        return "no golden item expects text"
    if not any(r.candidate.usable for r in with_text):
        return f"none of the {len(with_text)} candidate images of items with expected text decoded"
    return "no candidate image of an item with expected text was read by OCR"


def judge(gate: TypographyGate, evidence: Evidence) -> GateResult:
    threshold = f"typography pass rate >= {fmt(gate.min_pass_rate)}"
    with_text = [r for r in evidence.results if r.item.spec.text]
    read = [r for r in with_text if r.candidate.usable and r.candidate.typography is not None]
    if not read:
        why = _why_unread(with_text)
        return GateResult([no_data("typography", threshold, f"typography: {why}")])
    passed = sum(1 for r in read if r.candidate.typography and r.candidate.typography.passed)
    rate = passed / len(read)
    by_size = _by_font_size(read)
    sizes = ", ".join(f"{_label(size)} {sum(v)}/{len(v)}" for size, v in by_size.items())
    scores = {_score_key(size): round(sum(v) / len(v), 4) for size, v in by_size.items()}
    scores["typographyPassRate"] = round(rate, 4)
    worst = "" if within(rate, ">=", gate.min_pass_rate) else _worst(read)
    verdict = compare(
        "typography",
        rate,
        ">=",
        gate.min_pass_rate,
        threshold=threshold,
        measured=f"typography pass rate {fmt(rate)}",
        bound=f"minPassRate {fmt(gate.min_pass_rate)} (maxCharErrorRate "
        f"{fmt(gate.max_char_error_rate)}; by font size: {sizes}){worst}",
    )
    return GateResult([verdict], scores)
