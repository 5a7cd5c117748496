"""Typography (catalog F2, F11): OCR the image and compare each expected text with what was
read, as a character error rate, per font size.

OCR drops spaces between words and may split one line in two, so texts are compared with
whitespace removed and case folded, against the best-matching stretch of the lines read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..images import DecodedImage
from ..ocr import OcrEngine


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
