"""Reading a request body within a limit: from its declared Content-Length, refused before a
byte is read when over it, or chunk by chunk, refused as soon as the chunks pass it."""

from __future__ import annotations

from email.message import Message
from io import BufferedIOBase

CHUNK_LINE_LIMIT = 64


class BodyTooLarge(Exception):
    pass


def read_body(rfile: BufferedIOBase, headers: Message, limit: int) -> bytes:
    """Raises BodyTooLarge over the limit and ValueError for broken framing."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(rfile, limit)
    declared = headers.get("Content-Length", "0").strip()
    if not declared.isdigit():
        raise ValueError(f"Content-Length {declared!r}")
    length = int(declared)
    if length > limit:
        raise BodyTooLarge
    data = rfile.read(length)
    if len(data) != length:
        raise ValueError("body shorter than its Content-Length")
    return data


def _read_chunked(rfile: BufferedIOBase, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(CHUNK_LINE_LIMIT)
        size = int(line.split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            while rfile.readline(CHUNK_LINE_LIMIT) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        total += size
        if total > limit:
            raise BodyTooLarge
        parts.append(rfile.read(size))
        rfile.readline(CHUNK_LINE_LIMIT)
