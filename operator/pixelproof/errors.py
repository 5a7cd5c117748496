"""The root of every error the pixelproof operator, its kubectl plugin and its tools raise
on purpose, so a caller can catch "pixelproof refused" apart from a bug."""

from __future__ import annotations


class PixelproofError(Exception):
    """A failure pixelproof recognised; the message says what and where."""
