"""A proxy in front of a reference generator that sees, and may change, each request body
before passing it on: for tests that hold back or alter some of a model's requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


def start_proxy(upstream: str, before: Callable[[dict[str, Any]], None]) -> ThreadingHTTPServer:
    """Serves on a free localhost port (`proxy_url`) until shut down; `before` runs on each
    POST body, in the request's own thread, and may block it."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            before(body)
            reply = httpx.post(upstream + self.path, json=body, timeout=30)
            self.send_response(reply.status_code)
            self.send_header("Content-Type", reply.headers.get("content-type", "image/png"))
            self.send_header("Content-Length", str(len(reply.content)))
            self.end_headers()
            self.wfile.write(reply.content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return server


def proxy_url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"
