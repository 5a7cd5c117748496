"""Which OCR lines read which expected text: the assignment with the least total cost over
all texts at once (character error rate plus how far the line sits from where the text
should be), never text by text, so one badly drawn text cannot take the line of another.

OCR drops spaces between words and may split one line in two, so texts are compared with
whitespace removed and case folded, against the best-matching stretch of the lines read; a
text that wrapped, or that OCR split, then extends over neighbouring lines no text claimed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..ocr import TextLine

# rapidocr's box height per pixel of font size, measured on the house fonts at 16-64 px.
BOX_HEIGHT_PER_FONT_PX = 0.8
# Position only breaks ties between similar reads: a line read perfectly always beats a
# garbled one, wherever it sits.
SIZE_WEIGHT = 0.3
ORDER_WEIGHT = 0.1
UNMATCHED_COST = 1.0 + SIZE_WEIGHT + ORDER_WEIGHT
MAX_RUN = 3


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


def _placement(spec: ExpectedTextSpec, text_rank: float, line: TextLine, line_rank: float) -> float:
    """How unlike the expected text's place the line is: its height against the font size
    (when known) and its reading order against the texts' order."""
    cost = ORDER_WEIGHT * abs(text_rank - line_rank)
    if spec.font_size and line.height > 0:
        ratio = line.height / (BOX_HEIGHT_PER_FONT_PX * spec.font_size)
        cost += SIZE_WEIGHT * min(1.0, abs(math.log(ratio)))
    return cost


def _rank(index: int, count: int) -> float:
    return index / (count - 1) if count > 1 else 0.0


def _grow(spec: ExpectedTextSpec, lines: Sequence[TextLine], start: int, taken: set[int]) -> range:
    """The run of consecutive lines around `start`, none claimed by another text, that reads
    the text best; the shortest such run on a tie."""
    best: tuple[float, int, range] | None = None
    for first in range(max(0, start - MAX_RUN + 1), start + 1):
        for stop in range(start + 1, min(len(lines), first + MAX_RUN) + 1):
            run = range(first, stop)
            if any(i in taken and i != start for i in run):
                continue
            cer, _ = character_error_rate(spec.text, " ".join(lines[i].text for i in run))
            if best is None or (cer, len(run)) < best[:2]:
                best = (cer, len(run), run)
    return best[2] if best is not None else range(start, start + 1)


def assign(
    expected: Sequence[ExpectedTextSpec], lines: Sequence[TextLine], max_cer: float
) -> list[TextScore]:
    """Each expected text's score on the lines the best overall assignment gives it."""
    if not expected:
        return []
    cost = np.full((len(expected), len(lines) + len(expected)), UNMATCHED_COST)
    for i, spec in enumerate(expected):
        for j, line in enumerate(lines):
            cer, _ = character_error_rate(spec.text, line.text)
            placement = _placement(spec, _rank(i, len(expected)), line, _rank(j, len(lines)))
            cost[i, j] = cer + placement
    rows, cols = linear_sum_assignment(cost)
    chosen = {int(r): int(c) for r, c in zip(rows, cols, strict=True) if c < len(lines)}
    taken = set(chosen.values())
    scores = []
    for i, spec in enumerate(expected):
        if i not in chosen:
            scores.append(TextScore(spec.text, spec.font_size, "", 1.0, False))
            continue
        run = _grow(spec, lines, chosen[i], taken)
        taken.update(run)
        cer, matched = character_error_rate(spec.text, " ".join(lines[k].text for k in run))
        scores.append(TextScore(spec.text, spec.font_size, matched, cer, cer <= max_cer))
    return scores
