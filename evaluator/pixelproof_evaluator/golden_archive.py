"""Golden sets published as an https archive (tar.gz or zip) pinned by its sha256.

The archive is verified before a single byte of it is unpacked, and unpacking refuses
members that would land outside the target folder."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from .download import download
from .golden import GoldenSet, GoldenSetError, load_golden_dir

Fetch = Callable[[str], bytes]
MAX_ARCHIVE_BYTES = 2 * 1024**3


def fetch_https(url: str, *, timeout: float = 120.0) -> bytes:
    if not url.startswith("https://"):
        raise GoldenSetError(f"golden set URL {url!r} must use https")
    return download(
        url,
        limit=MAX_ARCHIVE_BYTES,
        timeout=timeout,
        what="golden set archive",
        error=GoldenSetError,
    )


def _safe_target(dest: Path, name: str) -> Path:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise GoldenSetError(f"golden set archive member {name!r} points outside the archive")
    return dest / Path(*relative.parts)


def unpack_archive(data: bytes, dest: Path, *, source: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    target = _safe_target(dest, info.filename)
                    if info.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(info))
        except zipfile.BadZipFile as exc:
            raise GoldenSetError(f"golden set archive {source} is not a valid zip: {exc}") from exc
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive.getmembers():
                target = _safe_target(dest, member.name)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    extracted = archive.extractfile(member)
                    if extracted is None:
                        raise GoldenSetError(
                            f"golden set archive {source}: cannot read {member.name!r}"
                        )
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(extracted.read())
                else:
                    raise GoldenSetError(
                        f"golden set archive {source}: member {member.name!r} is not a plain file"
                    )
    except tarfile.TarError as exc:
        raise GoldenSetError(
            f"golden set archive {source} is neither a zip nor a tar archive: {exc}"
        ) from exc


def _manifest_root(dest: Path) -> Path:
    """The archive's own folder: the top level, or its single top-level folder."""
    entries = [p for p in dest.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def load_golden_url(url: str, sha256: str, dest: Path, *, fetch: Fetch = fetch_https) -> GoldenSet:
    """Download, verify against the pinned sha256, unpack into dest, and load."""
    expected = sha256.lower()
    data = fetch(url)
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise GoldenSetError(f"golden set archive {url} has sha256 {digest}, expected {expected}")
    unpack_archive(data, dest, source=url)
    return load_golden_dir(_manifest_root(dest))
