"""Text of the prompt drawn on light panels at several font sizes, plus the text faults.

Every piece of text in double quotes ("..." or “...”) in the prompt is drawn once at each of
``FONT_SIZES`` (64, 40, 24 and 16 px), largest first, dark on a light panel, wrapped at word
boundaries to the image width. A block with a word wider than the image is left out; when
the blocks are taller than the image, blocks are left out until they fit: those of later
quoted texts first, and within a text the largest size first, because small sizes are where
text breaks. ``TextBlock`` records what was drawn and where, so checks can crop each size.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from .fonts import load_font

FONT_SIZES: tuple[int, ...] = (64, 40, 24, 16)
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”')
_LINE_SPACING = 0.25


@dataclass(frozen=True)
class TextBlock:
    expected: str  # the quoted text of the prompt
    drawn: str  # what was drawn, after text faults; lines joined by a space
    size: int
    box: tuple[int, int, int, int]  # panel (left, top, right, bottom), before any stretch


@dataclass(frozen=True)
class TextFaults:
    garble_below: float = 0.0
    family: str = "sans"
    off_template: bool = False


def quoted_texts(prompt: str) -> list[str]:
    texts = (" ".join((a or b).split()) for a, b in _QUOTED.findall(prompt))
    return [t for t in texts if t]


def is_brand_token(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def drop_brand_tokens(text: str) -> str:
    return " ".join(w for w in text.split() if not is_brand_token(w))


def garble(text: str, seed: int, size: int) -> str:
    """Substitute, drop and swap characters, like a model that cannot spell at small sizes.
    Seeded by the text, seed and size, so a garbled image still replays exactly."""
    digest = hashlib.sha256(f"{seed}:{size}:{text}".encode()).digest()
    rng = random.Random(digest)
    out: list[str] = []
    for c in text:
        roll = rng.random()
        if not c.isalnum() or roll >= 0.4:
            out.append(c)
        elif roll < 0.3:
            pool = string.ascii_uppercase if c.isupper() else string.ascii_lowercase
            out.append(rng.choice(pool.replace(c, "")))
    for i in range(len(out) - 1):
        if out[i].isalnum() and out[i + 1].isalnum() and rng.random() < 0.15:
            out[i], out[i + 1] = out[i + 1], out[i]
    result = "".join(out)
    return result if result != text else text[::-1]


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str] | None:
    lines: list[str] = []
    for word in text.split():
        if font.getlength(word) > max_width:
            return None
        if lines and font.getlength(f"{lines[-1]} {word}") <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class _Planned:
    order: int
    expected: str
    lines: list[str]
    size: int
    font: ImageFont.FreeTypeFont
    pad: int
    line_height: int
    width: int
    height: int
    x_fraction: float
    gap_fraction: float
    panel: tuple[int, int, int]
    ink: tuple[int, int, int]


def draw_text(
    rng: random.Random,
    canvas: Image.Image,
    prompt: str,
    seed: int,
    faults: TextFaults,
) -> list[TextBlock]:
    width, height = canvas.size
    margin = max(4, min(width, height) // 32)
    planned: list[_Planned] = []
    for order, expected in enumerate(quoted_texts(prompt)):
        for size in FONT_SIZES:
            # Every candidate block takes the same draws whatever the faults, so a fault
            # changes only the text it targets, not the placement of everything else.
            x_fraction, gap_fraction = rng.random(), rng.random()
            panel = (rng.randint(225, 255), rng.randint(225, 255), rng.randint(225, 255))
            ink = (rng.randint(0, 50), rng.randint(0, 50), rng.randint(0, 50))
            text = drop_brand_tokens(expected) if faults.off_template else expected
            if size < faults.garble_below:
                text = garble(text, seed, size)
            font = load_font(faults.family, size)
            pad = max(4, size // 4)
            lines = _wrap(text, font, width - 2 * margin - 2 * pad)
            if not lines:
                continue
            line_height = round(size * (1 + _LINE_SPACING))
            text_width = max(font.getlength(line) for line in lines)
            planned.append(
                _Planned(
                    order,
                    expected,
                    lines,
                    size,
                    font,
                    pad,
                    line_height,
                    round(text_width) + 2 * pad,
                    line_height * len(lines) + 2 * pad,
                    x_fraction,
                    gap_fraction,
                    panel,
                    ink,
                )
            )
    while planned and sum(p.height + margin for p in planned) > height - margin:
        planned.remove(max(planned, key=lambda p: (p.order, p.size)))
    if not planned:
        return []

    spare = height - margin - sum(p.height + margin for p in planned)
    total_weight = sum(p.gap_fraction for p in planned) or 1.0
    draw = ImageDraw.Draw(canvas)
    blocks: list[TextBlock] = []
    top = margin
    for p in planned:
        top += int(spare * p.gap_fraction / total_weight)
        left = margin + int((width - 2 * margin - p.width) * p.x_fraction)
        box = (left, top, left + p.width, top + p.height)
        draw.rectangle(box, fill=(*p.panel, 255))
        for i, line in enumerate(p.lines):
            origin = (left + p.pad, top + p.pad + i * p.line_height)
            draw.text(origin, line, font=p.font, fill=(*p.ink, 255))
        blocks.append(TextBlock(p.expected, " ".join(p.lines), p.size, box))
        top += p.height + margin
    return blocks
