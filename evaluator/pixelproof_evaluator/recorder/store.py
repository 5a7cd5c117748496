"""The bounded sample of recorded prompts.

It keeps the newest max-count distinct requests seen within the retention window. Newest
rather than a reservoir over everything seen: retention drops old records anyway, and a
rollout should be judged on what users ask for now, not on a uniform draw over the window;
a reservoir would also need the stream's length and cannot forget a record early. Burst
bias is handled when serving: `sample()` draws uniformly from what is kept. A repeated
request refreshes its record instead of taking a second slot.

With a data folder, every kept record is appended to a JSON Lines file that is rewritten
from memory when it holds twice the maximum, so the disk stays bounded too and a restart
resumes the same sample."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from .records import LiveRecord, RecordError, from_json

log = logging.getLogger("pixelproof_evaluator.recorder")
SAMPLE_FILE = "records.jsonl"


@dataclass
class StoreCounts:
    recorded: int = 0
    refreshed: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: {"retention": 0, "capacity": 0})


class SampleStore:
    def __init__(
        self,
        max_count: int,
        retention: timedelta,
        *,
        data_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        if max_count < 1:
            raise ValueError(f"--max-count must be at least 1, got {max_count}")
        if retention <= timedelta(0):
            raise ValueError("--retention must be positive")
        self.max_count = max_count
        self.retention = retention
        self.counts = StoreCounts()
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._records: OrderedDict[bytes, LiveRecord] = OrderedDict()
        self._path = data_dir / SAMPLE_FILE if data_dir is not None else None
        self._lines = 0
        self._out: TextIO | None = None
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._load(self._path)
            self._rewrite(self._path)

    def close(self) -> None:
        with self._lock:
            if self._out is not None:
                self._out.close()
                self._out = None

    def now(self) -> datetime:
        return self._clock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def add(self, record: LiveRecord) -> None:
        with self._lock:
            key = record.key()
            if key in self._records:
                self.counts.refreshed += 1
                self._records.move_to_end(key)
            else:
                self.counts.recorded += 1
            self._records[key] = record
            self._expire(self.now())
            while len(self._records) > self.max_count:
                self._records.popitem(last=False)
                self.counts.dropped["capacity"] += 1
            self._persist(record)

    def sample(self, count: int) -> list[LiveRecord]:
        """Up to count records drawn uniformly from what is kept, newest first."""
        with self._lock:
            self._expire(self.now())
            kept = list(self._records.values())
        if count < len(kept):
            kept = self._rng.sample(kept, count)
        return sorted(kept, key=lambda r: r.recorded_at, reverse=True)

    def _expire(self, now: datetime) -> None:
        cutoff = now - self.retention
        # Ordered by when each record was last seen, so the oldest are at the front.
        while self._records:
            key, oldest = next(iter(self._records.items()))
            if oldest.recorded_at >= cutoff:
                break
            del self._records[key]
            self.counts.dropped["retention"] += 1

    def _persist(self, record: LiveRecord) -> None:
        if self._path is None:
            return
        if self._lines >= 2 * self.max_count or self._out is None:
            self._rewrite(self._path)
            return
        self._out.write(record.to_line() + "\n")
        self._lines += 1

    def _rewrite(self, path: Path) -> None:
        if self._out is not None:
            self._out.close()
        partial = path.with_name(path.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            for kept in self._records.values():
                out.write(kept.to_line() + "\n")
        os.replace(partial, path)
        self._lines = len(self._records)
        # Line-buffered: each record reaches the file as it is kept, a crash tears one line.
        self._out = path.open("a", encoding="utf-8", buffering=1)

    def _load(self, path: Path) -> None:
        if not path.exists():
            return
        loaded: list[LiveRecord] = []
        try:
            with path.open(encoding="utf-8", errors="replace") as lines:
                for number, line in enumerate(lines, start=1):
                    if not line.strip():
                        continue
                    try:
                        loaded.append(from_json(json.loads(line)))
                    except (json.JSONDecodeError, RecordError) as exc:
                        # A line torn by a crash must not cost the rest of the sample.
                        log.warning("skipping %s line %d: %s", path, number, exc)
        except OSError as exc:
            log.warning("cannot read the persisted sample %s: %s", path, exc)
            return
        for record in sorted(loaded, key=lambda r: r.recorded_at):
            self._records[record.key()] = record
            self._records.move_to_end(record.key())
        self._expire(self.now())
        while len(self._records) > self.max_count:
            self._records.popitem(last=False)
