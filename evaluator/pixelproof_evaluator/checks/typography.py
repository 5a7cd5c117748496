"""Typography (catalog F2, F11): OCR the image and compare each expected text with what was
read, as a character error rate, per font size.

OCR drops spaces between words and may split one line in two, so texts are compared with
whitespace removed and case folded, against the best-matching stretch of the lines read.
The gate holds the share of items whose every text passes to a minimum."""

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

if TYPE_CHECKING:
    from ..results import ItemResult
    from .evidence import Evidence


@dataclass(frozen=True)
class ExpectedTextSpec:
    text: str
    font_size: int | None


@dataclass(frozen=True)
class TextScore:
    expected: str
    font_size: int | None
    matched: str
    cer: float
    passed: bool


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


def normalise(text: str) -> str:
    return "".join(text.split()).casefold()


def best_substring_distance(needle: str, haystack: str) -> tuple[int, str]:
    """Edit distance from needle to its best-matching substring of haystack (free leading and
    trailing text in the haystack), and that substring."""
    if not needle:
        return 0, ""
    rows, cols = len(needle), len(haystack)
    previous = list(range(rows + 1))
    starts_prev = [0] * (rows + 1)
    best = (previous[rows], 0, 0)
    for j in range(1, cols + 1):
        current = [0] * (rows + 1)
        starts = [j] * (rows + 1)
        for i in range(1, rows + 1):
            substitute = previous[i - 1] + (needle[i - 1] != haystack[j - 1])
            delete = current[i - 1] + 1
            insert = previous[i] + 1
            value = min(substitute, delete, insert)
            current[i] = value
            if value == substitute:
                starts[i] = starts_prev[i - 1]
            elif value == insert:
                starts[i] = starts_prev[i]
            else:
                starts[i] = starts[i - 1]
        if current[rows] < best[0]:
            best = (current[rows], starts[rows], j)
        previous, starts_prev = current, starts
    distance, start, end = best
    return distance, haystack[start:end]


def character_error_rate(expected: str, recognised: str) -> tuple[float, str]:
    needle = normalise(expected)
    distance, matched = best_substring_distance(needle, normalise(recognised))
    return min(1.0, distance / max(1, len(needle))), matched


MAX_RUN = 3


def _assign(
    expected: Sequence[ExpectedTextSpec], lines: Sequence[str], max_cer: float
) -> list[TextScore]:
    """Each expected text takes the best-matching run of consecutive unused OCR lines (a
    wrapped text spans several). Larger font sizes choose first: they read most reliably, so
    when one text appears at several sizes each size is scored on its own rendering."""
    used = [False] * len(lines)
    order = sorted(range(len(expected)), key=lambda i: -(expected[i].font_size or 0))
    scores: dict[int, TextScore] = {}
    for index in order:
        spec = expected[index]
        best: tuple[float, int, str, range] | None = None
        for start in range(len(lines)):
            for length in range(1, MAX_RUN + 1):
                run = range(start, start + length)
                if run.stop > len(lines) or any(used[i] for i in run):
                    break
                text = " ".join(lines[i] for i in run)
                cer, matched = character_error_rate(spec.text, text)
                # On equal error, the run with the least text left over wins, so a text does
                # not swallow a neighbouring line it does not need.
                spare = len(normalise(text)) - len(matched)
                if best is None or (cer, spare) < best[:2]:
                    best = (cer, spare, matched, run)
        if best is None:
            scores[index] = TextScore(spec.text, spec.font_size, "", 1.0, False)
            continue
        cer, _, matched, run = best
        for i in run:
            used[i] = True
        scores[index] = TextScore(spec.text, spec.font_size, matched, cer, cer <= max_cer)
    return [scores[i] for i in range(len(expected))]


def check_typography(
    engine: OcrEngine,
    image: DecodedImage,
    expected: Sequence[ExpectedTextSpec],
    *,
    max_char_error_rate: float,
) -> TypographyResult:
    rgb = np.clip(image.rgb_on_backdrop() * 255.0 + 0.5, 0, 255).astype(np.uint8)
    lines = [line.text for line in engine.read(rgb)]
    return TypographyResult(lines, _assign(expected, lines, max_char_error_rate))


def _size_key(size: str) -> tuple[int, str]:
    return (int(size), size) if size.isdigit() else (1 << 30, size)


def _by_font_size(read: Sequence[ItemResult]) -> dict[str, list[bool]]:
    by_size: dict[str, list[bool]] = defaultdict(list)
    for r in read:
        for text in r.candidate.typography.texts if r.candidate.typography else []:
            by_size[str(text.font_size) if text.font_size else "any"].append(text.passed)
    return by_size


def _worst(read: Sequence[ItemResult]) -> str:
    worst = max(
        read, key=lambda r: r.candidate.typography.worst_cer if r.candidate.typography else 0.0
    )
    if not worst.candidate.typography:
        return ""
    text = max(worst.candidate.typography.texts, key=lambda t: t.cer)
    return f"; worst {worst.item.id}: expected {text.expected!r}, read {text.matched!r}"


def judge(gate: TypographyGate, evidence: Evidence) -> GateResult:
    threshold = f"passRate >= {fmt(gate.min_pass_rate)}"
    read = [r for r in evidence.usable() if r.item.spec.text and r.candidate.typography is not None]
    if not read:
        return GateResult(
            [
                no_data(
                    "typography",
                    threshold,
                    "typography: no golden item with expected text was read",
                )
            ]
        )
    passed = sum(1 for r in read if r.candidate.typography and r.candidate.typography.passed)
    rate = passed / len(read)
    by_size = _by_font_size(read)
    sizes = ", ".join(
        f"{size}px {sum(v)}/{len(v)}"
        for size, v in sorted(by_size.items(), key=lambda kv: _size_key(kv[0]))
    )
    scores = {
        f"typographyPassRate.{size}px": round(sum(v) / len(v), 4) for size, v in by_size.items()
    }
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
