"""A golden manifest from a plain prompt list: JSON Lines or CSV with the columns prompt, seed,
size, text, alpha, tags and id, so a golden set can start without a hand-written manifest."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .golden import ExpectedText, GoldenItemSpec, GoldenSetError, parse_size

DEFAULT_SIZE = "512x512"
TEXT_SEPARATOR = "|"
_TRUE = {"1", "true", "yes", "on"}


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GoldenSetError(f"cannot read prompt list {path}: {exc}") from exc
    if path.suffix == ".csv":
        for number, row in enumerate(csv.DictReader(text.splitlines()), start=1):
            yield number, {k.strip(): v for k, v in row.items() if k is not None and v != ""}
        return
    if path.suffix != ".jsonl":
        raise GoldenSetError(f"prompt list {path} must be .jsonl or .csv")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldenSetError(f"{path} line {number}: not JSON: {exc}") from exc
        if not isinstance(row, dict):
            raise GoldenSetError(f"{path} line {number}: expected an object")
        yield number, row


def _listed(value: Any, separator: str) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(separator) if part.strip()]


def _spec(number: int, row: dict[str, Any]) -> GoldenItemSpec:
    if "prompt" not in row:
        raise ValueError("no prompt")
    size = str(row.get("size", DEFAULT_SIZE))
    parse_size(size)
    alpha = row.get("alpha", False)
    return GoldenItemSpec(
        id=str(row.get("id", f"item-{number}")),
        prompt=str(row["prompt"]),
        seed=int(row.get("seed", number)),
        size=size,
        text=[ExpectedText(text=t) for t in _listed(row.get("text", ""), TEXT_SEPARATOR)],
        alpha=alpha if isinstance(alpha, bool) else str(alpha).strip().lower() in _TRUE,
        tags=_listed(row.get("tags", []), ";"),
    )


def read_prompt_list(path: Path) -> list[GoldenItemSpec]:
    specs = []
    for number, row in _rows(path):
        try:
            specs.append(_spec(number, row))
        except (ValueError, ValidationError) as exc:
            raise GoldenSetError(f"{path} line {number}: {exc}") from exc
    if not specs:
        raise GoldenSetError(f"prompt list {path} has no prompts")
    ids = [s.id for s in specs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise GoldenSetError(f"prompt list {path}: ids appear twice: {', '.join(duplicates)}")
    return specs
