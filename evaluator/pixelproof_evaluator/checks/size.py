"""Size and aspect-ratio parity with the request (catalog F3)."""

from __future__ import annotations

from dataclasses import dataclass

ASPECT_TOLERANCE = 0.01


@dataclass(frozen=True)
class SizeResult:
    width: int
    height: int
    expected_width: int
    expected_height: int

    @property
    def size_ok(self) -> bool:
        return (self.width, self.height) == (self.expected_width, self.expected_height)

    @property
    def aspect_ok(self) -> bool:
        expected = self.expected_width / self.expected_height
        return abs(self.width / self.height - expected) / expected <= ASPECT_TOLERANCE

    @property
    def problem(self) -> str | None:
        if self.size_ok:
            return None
        what = "wrong size" if self.aspect_ok else "wrong size and aspect ratio"
        return f"{what}: got {self.width}x{self.height}, requested {self.expected_width}x{self.expected_height}"


def check_size(width: int, height: int, expected_width: int, expected_height: int) -> SizeResult:
    return SizeResult(width, height, expected_width, expected_height)
