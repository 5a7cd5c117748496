"""Redaction of recorded prompts: every match of every pattern is replaced before a record is
kept, persisted or served, so what the recorder holds never contained the redacted text."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .records import LiveRecord

MASK = "[redacted]"


class Redactor:
    def __init__(self, patterns: Sequence[str]) -> None:
        try:
            self.patterns = [re.compile(p) for p in patterns]
        except re.error as exc:
            raise ValueError(
                f"--redact pattern {exc.pattern!r} is not a valid regex: {exc}"
            ) from exc

    def text(self, value: str) -> str:
        for pattern in self.patterns:
            value = pattern.sub(MASK, value)
        return value

    def _value(self, value: Any) -> Any:
        # A contract may carry more free text than the prompt (a negative prompt, a caption).
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._value(v) for v in value]
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        return value

    def record(self, record: LiveRecord) -> LiveRecord:
        if not self.patterns:
            return record
        fields: Mapping[str, Any] = {k: self._value(v) for k, v in record.fields.items()}
        return record.with_prompt(self.text(record.prompt), fields)
