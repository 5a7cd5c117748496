"""A generator for benchmarks: answers each golden item's request with the image captured for
it, after a fixed latency. In a cluster a generator renders on machines of its own; here it
shares the evaluator's cores, and rendering on them would take CPU from the evaluator that
no ideal accounts for. The captured image is the one the reference generator renders for
the same prompt, seed and size, so the evaluator checks the same pixels.

    python bench/recorded_generator.py GOLDEN_DIR --latency-ms 200 --port-file FILE
"""

from __future__ import annotations

import argparse
import json
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pixelproof_evaluator.golden import load_golden_dir

Key = tuple[str, int]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, images: dict[Key, bytes], latency_s: float) -> None:
        self.images = images
        self.latency_s = latency_s
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        png = self.server.images.get((body["prompt"], int(body["seed"])))
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("golden", type=Path)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    items = load_golden_dir(args.golden).items
    images = {(item.spec.prompt, item.spec.seed): item.reference_png for item in items}
    server = _Server(images, args.latency_ms / 1000.0)
    # Renamed into place, so a reader never sees a half-written port.
    partial = args.port_file.with_suffix(".partial")
    partial.write_text(str(server.server_address[1]))
    partial.rename(args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
