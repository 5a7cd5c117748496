"""Bounded https/http downloads for what the evaluator reads from a URL (golden archives,
live prompt files): the body is refused as soon as it passes the limit."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from .errors import EvaluatorError


def download(
    url: str,
    *,
    limit: int,
    timeout: float,
    what: str,
    error: type[EvaluatorError],
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The body of a GET; `what` names the download in errors, raised as `error`."""
    try:
        with httpx.stream(
            "GET", url, timeout=timeout, follow_redirects=True, headers=dict(headers or {})
        ) as response:
            response.raise_for_status()
            chunks = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > limit:
                    raise error(f"{what} {url} is over {limit} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise error(f"cannot download {what} {url}: {exc}") from exc
    return b"".join(chunks)
