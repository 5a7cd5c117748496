"""Real OCR (rapidocr) reads the rendered text back; garbled small text reads worse."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from rapidocr_onnxruntime import RapidOCR

from pixelproof_refgen import FONT_SIZES, Faults, GenerateRequest, Rendering, render
from pixelproof_testkit.refgen import POSTER

REQUEST = GenerateRequest(POSTER, seed=42, width=512, height=512)
EXPECTED = "Fresh Lemonade"


@pytest.fixture(scope="module")
def ocr() -> Iterator[RapidOCR]:
    yield RapidOCR()


def read_by_size(engine: RapidOCR, rendering: Rendering) -> dict[int, str]:
    """OCR the whole image once and give each text block the lines whose centre lies in it.
    The whole image, not crops: the detector scales small crops up and slows down badly."""
    result, _ = engine(np.asarray(rendering.image.convert("RGB")))
    found: dict[int, list[tuple[float, float, str]]] = {b.size: [] for b in rendering.blocks}
    for corners, text, _score in result or []:
        x = sum(p[0] for p in corners) / 4
        y = sum(p[1] for p in corners) / 4
        for block in rendering.blocks:
            left, top, right, bottom = block.box
            if left <= x <= right and top <= y <= bottom:
                found[block.size].append((y, x, str(text)))
    return {size: " ".join(t for _, _, t in sorted(lines)) for size, lines in found.items()}


def normalise(text: str) -> str:
    return "".join(text.split()).casefold()


def cer(expected: str, recognised: str) -> float:
    a, b = normalise(expected), normalise(recognised)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / max(len(a), 1)


@pytest.fixture(scope="module")
def clean_read(ocr: RapidOCR) -> dict[int, str]:
    return read_by_size(ocr, render(REQUEST))


def test_ocr_reads_the_text_of_a_clean_image_at_every_size(clean_read: dict[int, str]) -> None:
    read = clean_read
    assert normalise(read[64]) == normalise(EXPECTED)
    for size in FONT_SIZES:
        assert cer(EXPECTED, read[size]) <= 0.1, (size, read[size])


def test_garbled_small_text_reads_worse_than_clean_small_text(
    ocr: RapidOCR, clean_read: dict[int, str]
) -> None:
    clean = clean_read
    garbled = read_by_size(ocr, render(REQUEST, Faults(garble_small_text=30)))
    for size in (24, 16):
        assert cer(EXPECTED, garbled[size]) >= cer(EXPECTED, clean[size]) + 0.3, garbled
    for size in (64, 40):
        assert cer(EXPECTED, garbled[size]) <= 0.1, garbled
