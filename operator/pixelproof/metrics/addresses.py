"""Which metric provider addresses the operator may query.

An address in a rollout is a request the operator makes on the rollout author's behalf,
from inside the cluster: without a limit it reaches any endpoint the operator's network
can. An allow-list entry is either a URL prefix (`https://prometheus.monitoring.svc:9090`,
`http://thanos/prefix`), matched on scheme, host, port and whole path segments, or a
`host:port` (or bare `host`) matched on any scheme."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class _Entry:
    scheme: str | None
    host: str
    port: int | None
    path: str


def _parse(text: str) -> _Entry:
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else f"//{text}")
    if not parts.hostname:
        raise ValueError(f"metric address allow-list entry {text!r} names no host")
    scheme = parts.scheme.lower() if has_scheme else None
    port = parts.port
    if port is None and scheme is not None:
        port = _DEFAULT_PORTS.get(scheme)
    return _Entry(scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))


def _within(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


class AddressAllowList:
    """Empty allows every address; otherwise an address must match one entry."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.entries = tuple(entries)
        self._parsed = tuple(_parse(entry) for entry in self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def allows(self, address: str) -> bool:
        if not self._parsed:
            return True
        try:
            wanted = _parse(address)
        except ValueError:
            return False
        if wanted.scheme is None:
            return False
        for entry in self._parsed:
            if entry.host != wanted.host:
                continue
            if entry.scheme is not None and entry.scheme != wanted.scheme:
                continue
            if entry.port is not None and entry.port != wanted.port:
                continue
            if _within(wanted.path, entry.path):
                return True
        return False
