"""Merge patches that make the stored status equal the engine's complete status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_patch(old: object, new: Mapping[str, Any]) -> dict[str, Any]:
    """An RFC 7386 patch turning `old` into `new`: keys that disappeared become null,
    nested objects recurse, everything else (lists included) is replaced when it differs.
    An `old` that is not an object (a string, a list) is replaced by the whole of `new`."""
    if old is None:
        old = {}
    if not isinstance(old, Mapping):
        return dict(new)
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = merge_patch(before, value)
            if nested:
                patch[key] = nested
        elif before != value or key not in old:
            patch[key] = value
    return patch
