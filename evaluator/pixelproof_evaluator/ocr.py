"""The OCR engine (rapidocr on onnxruntime, models shipped in the wheel): loaded once, and
called from one thread at a time because an onnxruntime session is not re-entrant here."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    top: float
    left: float
    height: float = 0.0


class OcrEngine:
    def __init__(self, threads: int | None = None) -> None:
        """`threads` caps onnxruntime's threads; unset, it takes every core."""
        from rapidocr_onnxruntime import RapidOCR

        options = (
            {} if threads is None else {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
        )
        self._engine: Any = RapidOCR(**options)
        self._lock = threading.Lock()

    def read(self, rgb: NDArray[np.uint8]) -> list[TextLine]:
        """Text lines in reading order (top to bottom, then left to right)."""
        with self._lock:
            result, _ = self._engine(np.ascontiguousarray(rgb))
        lines = []
        for box, text, confidence in result or []:
            top = min(point[1] for point in box)
            left = min(point[0] for point in box)
            height = max(point[1] for point in box) - top
            lines.append(
                TextLine(str(text), float(confidence), float(top), float(left), float(height))
            )
        lines.sort(key=lambda line: (round(line.top / 8), line.left))
        return lines
