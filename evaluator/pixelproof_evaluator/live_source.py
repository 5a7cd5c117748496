"""Where recorded live prompts come from, all in the recorder's JSON Lines format: the
recorder itself (an http URL, asked for `count` records), an https file pinned by its sha256
(refused on mismatch before a line is parsed), or a mounted file or folder of .jsonl files
(a ConfigMap or PVC)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pixelproof.api.workloads import EVALUATION_HEADER

from .download import download
from .errors import EvaluatorError
from .recorder.records import LiveRecord, RecordError, parse_lines

MAX_SOURCE_BYTES = 64 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 60.0

Fetch = Callable[[str], bytes]


class LiveSourceError(EvaluatorError):
    """The live source cannot be read or is not in the record format; says which and why."""


def fetch_bounded(url: str, *, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    # The header keeps an evaluator's own reads out of anything that records traffic.
    return download(
        url,
        limit=MAX_SOURCE_BYTES,
        timeout=timeout,
        what="live source",
        error=LiveSourceError,
        headers={EVALUATION_HEADER: "true"},
    )


def with_count(url: str, count: int) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("count="))
    return urlunsplit(parts._replace(query=(query + "&" if query else "") + f"count={count}"))


def _parse(data: bytes, source: str) -> list[LiveRecord]:
    try:
        return list(parse_lines(data.decode("utf-8").splitlines(), source))
    except UnicodeDecodeError as exc:
        raise LiveSourceError(f"live source {source} is not UTF-8 text: {exc}") from exc
    except RecordError as exc:
        raise LiveSourceError(f"live source {exc}") from exc


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        # Names starting with a dot are a ConfigMap volume's own bookkeeping.
        found = sorted(p for p in path.glob("*.jsonl") if not p.name.startswith("."))
        if found:
            return found
        raise LiveSourceError(f"live source folder {path} holds no .jsonl file")
    raise LiveSourceError(f"live source {path} does not exist")


def load_live_records(
    source: str, count: int, sha256: str | None = None, *, fetch: Fetch = fetch_bounded
) -> list[LiveRecord]:
    """Up to count records, the newest first."""
    if source.startswith("https://"):
        if sha256 is None:
            raise LiveSourceError(f"https live source {source} needs --live-source-sha256")
        data = fetch(source)
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            raise LiveSourceError(
                f"live source {source} has sha256 {digest}, --live-source-sha256 pins {sha256}; "
                "refusing it"
            )
        records = _parse(data, source)
    elif source.startswith("http://"):
        records = _parse(fetch(with_count(source, count)), source)
    else:
        records = []
        for path in _files(Path(source)):
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise LiveSourceError(f"cannot read live source {path}: {exc}") from exc
            if len(data) > MAX_SOURCE_BYTES:
                raise LiveSourceError(f"live source {path} is over {MAX_SOURCE_BYTES} bytes")
            records += _parse(data, str(path))
    return sorted(records, key=lambda r: r.recorded_at, reverse=True)[:count]
