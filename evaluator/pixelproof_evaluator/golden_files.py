"""Files beside a golden manifest: each pinned by the sha256 the manifest records."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import EvaluatorError


class GoldenSetError(EvaluatorError):
    """The golden set cannot be used; the message names the file or item at fault."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_pinned(root: Path, item_id: str, what: str, name: str, sha256: str | None) -> bytes:
    """A file beside the manifest whose sha256 the manifest pins."""
    path = root / name
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise GoldenSetError(f"golden item {item_id!r}: {what} image {path} is missing") from exc
    except OSError as exc:
        raise GoldenSetError(f"golden item {item_id!r}: cannot read {what} {path}: {exc}") from exc
    if sha256 is None:
        raise GoldenSetError(f"golden item {item_id!r}: {what} {name} has no sha256")
    digest = sha256_hex(data)
    if digest != sha256:
        raise GoldenSetError(
            f"golden item {item_id!r}: {what} {name} has sha256 {digest}, "
            f"the manifest pins {sha256}"
        )
    return data
