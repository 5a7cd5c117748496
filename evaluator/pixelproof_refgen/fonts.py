"""DejaVu font families the renderer draws text with, loaded once per (family, size)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR_ENV = "PIXELPROOF_FONT_DIR"
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"

# Bold sans is the house font: it stays legible for OCR down to 16 px. The other
# families exist so a candidate can fall back to the wrong one (catalog F2).
FONT_FILES: dict[str, str] = {
    "sans": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "mono": "DejaVuSansMono.ttf",
}
HOUSE_FAMILY = "sans"


def font_dir() -> Path:
    return Path(os.environ.get(FONT_DIR_ENV, DEFAULT_FONT_DIR))


@lru_cache(maxsize=64)
def load_font(family: str, size: int) -> ImageFont.FreeTypeFont:
    if family not in FONT_FILES:
        raise ValueError(f"unknown font family {family!r}; known: {', '.join(FONT_FILES)}")
    path = font_dir() / FONT_FILES[family]
    if not path.is_file():
        raise FileNotFoundError(
            f"font file {path} for family {family!r} is missing; install the DejaVu fonts "
            f"(Debian: fonts-dejavu-core) or point {FONT_DIR_ENV} at them"
        )
    return ImageFont.truetype(str(path), size)
