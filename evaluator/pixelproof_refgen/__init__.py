"""pixelproof reference generator: a deterministic procedural image generator that honours the
generator HTTP contract and can inject every failure of the catalog on demand.

Contract: ``POST /generate`` with ``{"prompt": str, "seed": int, "size": "WIDTHxHEIGHT",
"transparent": bool}`` (other fields ignored; seed defaults to 0, size to 512x512, at most
2048x2048) answers ``200`` with PNG bytes, or a 4xx JSON error naming the bad field.
``POST /edit``, ``/inpaint`` and ``/upscale`` take an input image (and mask) as base64 JSON
fields or multipart files and answer a PNG derived from it (img2img.py). ``GET /healthz``, ``GET /metrics`` (Prometheus), ``GET``/``PUT /faults``.

Images: a seed-driven gradient and shapes, and every double-quoted text of the prompt drawn
dark on light panels at 64, 40, 24 and 16 px (typography.py); RGBA with a transparent
background when ``transparent`` is true. Fault knobs are documented in faults.py.
"""

from .faults import Faults
from .render import Rendering, render
from .request import GenerateRequest
from .server import RefGenServer
from .typography import FONT_SIZES, TextBlock

__all__ = [
    "FONT_SIZES",
    "Faults",
    "GenerateRequest",
    "RefGenServer",
    "Rendering",
    "TextBlock",
    "render",
]
