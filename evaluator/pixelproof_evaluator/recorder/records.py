"""One recorded prompt, in the format the recorder serves and every live source holds: a JSON
object per line with prompt, seed, width, height, transparent, the other request fields, and
when it was recorded."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

CONTRACT_FIELDS = ("prompt", "seed", "size", "transparent")
MIN_SIDE = 16
MAX_SIDE = 4096
MAX_SEED = 2**64 - 1
_SIZE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")


class RecordError(ValueError):
    """A generate body or a stored line that is not a usable record; says which field."""


@dataclass(frozen=True)
class LiveRecord:
    prompt: str
    seed: int
    width: int
    height: int
    transparent: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    def key(self) -> bytes:
        """What makes two records the same request: everything but when it was seen."""
        canonical = json.dumps(
            [self.prompt, self.seed, self.width, self.height, self.transparent, self.fields],
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(canonical.encode()).digest()

    def prompt_digest(self) -> str:
        return prompt_digest(self.prompt)

    def with_prompt(self, prompt: str, fields: Mapping[str, Any]) -> LiveRecord:
        return replace(self, prompt=prompt, fields=fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "seed": self.seed,
            "width": self.width,
            "height": self.height,
            "transparent": self.transparent,
            "fields": dict(self.fields),
            "recordedAt": self.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def to_line(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False)


def prompt_digest(prompt: str) -> str:
    """The prompt as reports and logs name it when its text must not appear."""
    return "sha256:" + hashlib.sha256(prompt.encode()).hexdigest()[:12]


def _seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise RecordError(f"seed must be an integer between 0 and {MAX_SEED}, got {value!r}")
    return value


def _side(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{name} must be an integer, got {value!r}")
    if not MIN_SIDE <= value <= MAX_SIDE:
        raise RecordError(f"{name} {value} is outside {MIN_SIDE}..{MAX_SIDE} px")
    return value


def _prompt(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError("prompt is required and must be a non-empty string")
    return value


def _transparent(value: object) -> bool:
    if not isinstance(value, bool):
        raise RecordError(f"transparent must be true or false, got {value!r}")
    return value


def from_generate_body(body: object, now: datetime) -> LiveRecord:
    """A record from a generate request under the generator contract (size as WIDTHxHEIGHT);
    fields beyond the contract's are kept so a replay asks for the same thing."""
    if not isinstance(body, dict):
        raise RecordError("request body must be a JSON object")
    size = body.get("size")
    match = _SIZE.match(size) if isinstance(size, str) else None
    if match is None:
        raise RecordError(f"size must look like WIDTHxHEIGHT, got {size!r}")
    return LiveRecord(
        prompt=_prompt(body.get("prompt")),
        seed=_seed(body.get("seed", 0)),
        width=_side("width", int(match.group(1))),
        height=_side("height", int(match.group(2))),
        transparent=_transparent(body.get("transparent", False)),
        fields={k: v for k, v in body.items() if k not in CONTRACT_FIELDS},
        recorded_at=now,
    )


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise RecordError(f"recordedAt must be an RFC 3339 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"recordedAt {value!r} is not an RFC 3339 timestamp") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def from_json(doc: object) -> LiveRecord:
    if not isinstance(doc, dict):
        raise RecordError("a record must be a JSON object")
    fields = doc.get("fields", {})
    if not isinstance(fields, dict):
        raise RecordError("fields must be a JSON object")
    recorded = doc.get("recordedAt")
    return LiveRecord(
        prompt=_prompt(doc.get("prompt")),
        seed=_seed(doc.get("seed", 0)),
        width=_side("width", doc.get("width")),
        height=_side("height", doc.get("height")),
        transparent=_transparent(doc.get("transparent", False)),
        fields=fields,
        recorded_at=_timestamp(recorded) if recorded is not None else datetime.now(UTC),
    )


def parse_lines(lines: Iterable[str], source: str) -> Iterator[LiveRecord]:
    """Records from JSON Lines; a bad line is an error naming the source and line number."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield from_json(json.loads(line))
        except (json.JSONDecodeError, RecordError) as exc:
            raise RecordError(f"{source} line {number}: {exc}") from exc
