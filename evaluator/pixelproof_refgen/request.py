"""The generate request body: parsing and validation with errors that name the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_SIDE = 2048
MIN_SIDE = 16
DEFAULT_SIZE = "512x512"
MAX_SEED = 2**64 - 1
_SIZE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")


class BadRequest(ValueError):
    """A request the generator refuses with a 4xx; `field` names the offending body field."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status

    def to_json(self) -> dict[str, str]:
        return {"error": str(self), "field": self.field}


@dataclass(frozen=True)
class GenerateRequest:
    prompt: str
    seed: int
    width: int
    height: int
    transparent: bool = False

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


def parse_size(value: object) -> tuple[int, int]:
    if not isinstance(value, str):
        raise BadRequest("size", f"size must be a string WIDTHxHEIGHT, got {value!r}")
    match = _SIZE.match(value)
    if match is None:
        raise BadRequest("size", f"size must look like WIDTHxHEIGHT (e.g. 512x512), got {value!r}")
    width, height = int(match.group(1)), int(match.group(2))
    for side in (width, height):
        if side < MIN_SIDE:
            raise BadRequest("size", f"size {value!r} is below the minimum of {MIN_SIDE} px a side")
        if side > MAX_SIDE:
            raise BadRequest(
                "size", f"size {value!r} is over the maximum of {MAX_SIDE}x{MAX_SIDE}", status=422
            )
    return width, height


def parse_request(body: Any) -> GenerateRequest:
    """Fields other than prompt, seed, size and transparent are accepted and ignored, so a
    rollout's fixed request fields (steps, guidance, ...) reach the generator unchanged."""
    if not isinstance(body, dict):
        raise BadRequest("body", "request body must be a JSON object")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadRequest("prompt", "prompt is required and must be a non-empty string")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BadRequest("seed", f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")
    width, height = parse_size(body.get("size", DEFAULT_SIZE))
    transparent = body.get("transparent", False)
    if not isinstance(transparent, bool):
        raise BadRequest("transparent", f"transparent must be true or false, got {transparent!r}")
    return GenerateRequest(prompt, seed, width, height, transparent)
