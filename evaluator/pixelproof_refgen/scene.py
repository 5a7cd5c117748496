"""The picture behind the text: a seed-driven gradient and shapes, so that LPIPS, colour
statistics and sharpness have real content to compare."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

Color = tuple[int, int, int]


def _color(rng: random.Random, lo: int = 0, hi: int = 255) -> Color:
    return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))


@dataclass(frozen=True)
class Gradient:
    start: Color
    end: Color
    angle: float

    @classmethod
    def draw(cls, rng: random.Random) -> Gradient:
        return cls(_color(rng, 40, 230), _color(rng, 40, 230), rng.uniform(0.0, 2.0 * math.pi))

    def paint(self, width: int, height: int) -> Image.Image:
        xs = np.arange(width, dtype=np.float32) * math.cos(self.angle)
        ys = np.arange(height, dtype=np.float32) * math.sin(self.angle)
        t = ys[:, None] + xs[None, :]
        t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
        start, end = np.array(self.start, np.float32), np.array(self.end, np.float32)
        pixels = start + t[..., None] * (end - start)
        return Image.fromarray(np.rint(pixels).astype(np.uint8), "RGB")


def draw_shapes(rng: random.Random, canvas: Image.Image) -> None:
    """Opaque shapes and thin lines; the lines give the edge detail a blur must destroy."""
    draw = ImageDraw.Draw(canvas)
    width, height = canvas.size
    side = min(width, height)
    for _ in range(rng.randint(5, 9)):
        kind = rng.choice(("ellipse", "rectangle", "triangle"))
        w, h = rng.randint(side // 10, side // 3), rng.randint(side // 10, side // 3)
        x, y = rng.randint(-w // 2, width - w // 2), rng.randint(-h // 2, height - h // 2)
        fill = (*_color(rng), 255)
        if kind == "ellipse":
            draw.ellipse((x, y, x + w, y + h), fill=fill)
        elif kind == "rectangle":
            draw.rectangle((x, y, x + w, y + h), fill=fill)
        else:
            draw.polygon([(x, y + h), (x + w // 2, y), (x + w, y + h)], fill=fill)
    for _ in range(rng.randint(6, 12)):
        points = [(rng.randint(0, width), rng.randint(0, height)) for _ in range(2)]
        draw.line(points, fill=(*_color(rng), 255), width=rng.randint(1, 3))


def background(rng: random.Random, width: int, height: int, transparent: bool) -> Image.Image:
    """RGBA canvas: the gradient, or a fully transparent background when asked for one."""
    # The gradient is drawn from the random sequence either way, so that the shapes sit in
    # the same places on transparent and opaque variants of an image.
    fill = Gradient.draw(rng)
    if transparent:
        canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    else:
        canvas = fill.paint(width, height).convert("RGBA")
    draw_shapes(rng, canvas)
    return canvas
