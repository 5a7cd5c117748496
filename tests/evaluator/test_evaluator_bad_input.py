"""Bad generator output ends as a clear per-item failure, never a crash or a hang: corrupt
PNGs, HTML error pages served as image/png, images over the size limit."""

from __future__ import annotations

import json
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pixelproof_evaluator.checks.format import check_format
from pixelproof_evaluator.images import ImageDecodeError, decode_png, encode_png


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int = 20000) -> bytes:
    """A valid 1-bit PNG of side x side pixels that compresses to a few tens of kilobytes."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def test_decode_refuses_html_corrupt_and_huge() -> None:
    with pytest.raises(ImageDecodeError, match=r"not a PNG .*an HTML page"):
        decode_png(b"<!DOCTYPE html><html><body>502</body></html>", max_pixels=10**6)
    good = encode_png(np.zeros((16, 16, 4), dtype=np.uint8))
    with pytest.raises(ImageDecodeError, match="invalid PNG"):
        decode_png(good[:40], max_pixels=10**6)
    with pytest.raises(ImageDecodeError, match=r"20000x20000 .* over the limit"):
        decode_png(huge_png(), max_pixels=4 * 256 * 256)
    with pytest.raises(ImageDecodeError, match="empty body"):
        decode_png(b"", max_pixels=10**6)


def test_opaque_alpha_channel_is_not_real_alpha() -> None:
    opaque = np.full((16, 16, 4), 255, dtype=np.uint8)
    result, image = check_format(encode_png(opaque), alpha_expected=True, max_pixels=10**6)
    assert image is not None and result.has_alpha and not result.alpha_ok
    assert "fully opaque" in (result.alpha_problem or "")
    rgb = np.full((16, 16, 3), 9, dtype=np.uint8)
    result, _ = check_format(encode_png(rgb), alpha_expected=True, max_pixels=10**6)
    assert result.alpha_problem == "expected an alpha channel, found none (mode RGB)"


class _HugeImageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@pytest.fixture
def huge_image_server() -> Iterator[str]:
    handler = type("Handler", (_HugeImageHandler,), {"body": huge_png()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _items(tmp_path: Path) -> list[dict[str, Any]]:
    return json.loads((tmp_path / "report" / "report.json").read_text())["items"]


def test_huge_images_fail_per_item(
    start_refgen: Any, huge_image_server: str, run_evaluation: Any, gate_of: Any, tmp_path: Path
) -> None:
    summary = run_evaluation(start_refgen().url, huge_image_server, tags=["alpha"])
    assert gate_of(summary, "failureRate").verdict == "Fail"
    assert "decode: 4" in summary.reason
    for item in _items(tmp_path):
        assert item["candidate"]["failure"] == "decode"
        assert "over the limit" in item["candidate"]["failureDetail"]
    assert sorted(summary.failed_items) == ["sticker-moon", "sticker-star"]


def test_html_error_pages_fail_per_item(
    start_refgen: Any, run_evaluation: Any, gate_of: Any, tmp_path: Path
) -> None:
    summary = run_evaluation(
        start_refgen().url, start_refgen(html_error=1.0).url, tags=["template", "alpha"]
    )
    assert gate_of(summary, "failureRate").verdict == "Fail"
    for item in _items(tmp_path):
        assert item["candidate"]["failure"] == "decode"
        assert "an HTML page" in item["candidate"]["failureDetail"]
    assert gate_of(summary, "lpips").verdict == "Inconclusive"


def test_some_corrupt_outputs_leave_the_rest_scored(
    start_refgen: Any, run_evaluation: Any, tmp_path: Path
) -> None:
    run_evaluation(start_refgen().url, start_refgen(corrupt_png=0.5, fault_seed=3).url)
    items = _items(tmp_path)
    failures = [i for i in items if i["candidate"]["failure"] == "decode"]
    scored = [i for i in items if i["candidate"]["lpips"] is not None]
    assert failures and scored
    assert all("no PNG signature" in i["candidate"]["failureDetail"] for i in failures)
