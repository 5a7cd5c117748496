"""A generator for benchmarks: answers each golden item's request with the image captured for
it, after a fixed latency. In a cluster a generator renders on machines of its own; here it
shares the evaluator's cores, and rendering on them would take CPU from the evaluator that
no ideal accounts for. The captured image is the one the reference generator renders for
the same prompt, seed and size, so the evaluator checks the same pixels.

With --replays-differ, every second answer for a prompt and seed (the seed replay, which
an evaluation asks for after the first image) is that image with one pixel's lowest bit
flipped: a model whose replays are not bit-identical, whose replay distances LPIPS must
compute.

    python bench/recorded_generator.py GOLDEN_DIR --latency-ms 200 --port-file FILE
        [--replays-differ]
"""

from __future__ import annotations

import argparse
import io
import json
import threading
import time
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image

from pixelproof_evaluator.golden import load_golden_dir

Key = tuple[str, int]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, images: dict[Key, bytes], latency_s: float, replays: dict[Key, bytes]
    ) -> None:
        self.images = images
        self.latency_s = latency_s
        self.replays = replays
        self.answered: Counter[Key] = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def image(self, key: Key) -> bytes | None:
        with self.lock:
            self.answered[key] += 1
            replay = self.answered[key] % 2 == 0
        return self.replays[key] if replay and key in self.replays else self.images.get(key)


def replay_variant(png: bytes) -> bytes:
    """The image with its first pixel's lowest red bit flipped, as a PNG."""
    with Image.open(io.BytesIO(png)) as image:
        pixels = np.array(image)
        mode = image.mode
    pixels.flat[0] ^= 1
    out = io.BytesIO()
    Image.fromarray(pixels, mode).save(out, format="PNG")
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        png = self.server.image((body["prompt"], int(body["seed"])))
        time.sleep(self.server.latency_s)
        if png is None:
            self._send(HTTPStatus.NOT_FOUND, "application/json", b'{"error": "not recorded"}')
        else:
            self._send(HTTPStatus.OK, "image/png", png)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("golden", type=Path)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--replays-differ", action="store_true")
    args = parser.parse_args()
    items = load_golden_dir(args.golden).items
    images = {(item.spec.prompt, item.spec.seed): item.reference_png for item in items}
    replays = (
        {key: replay_variant(png) for key, png in images.items()} if args.replays_differ else {}
    )
    server = _Server(images, args.latency_ms / 1000.0, replays)
    # Renamed into place, so a reader never sees a half-written port.
    partial = args.port_file.with_suffix(".partial")
    partial.write_text(str(server.server_address[1]))
    partial.rename(args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
