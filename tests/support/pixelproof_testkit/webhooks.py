"""A real webhook receiver on 127.0.0.1 for notification tests, and the operator's Secret
reading played by a function that knows one Secret."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pixelproof.notifications import RetryPolicy, SecretReader

FAST = RetryPolicy(
    max_attempts=5, base_delay=0.01, max_delay=0.05, request_timeout=2.0, deadline=10.0
)


@dataclass
class Receiver:
    """Answers each POST with the next scripted (status, headers, delay) reply."""

    script: list[tuple[int, dict[str, str], float]]
    bodies: list[dict[str, Any]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    url: str = ""


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    state = Receiver(script=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.bodies.append(json.loads(self.rfile.read(length)))
            state.times.append(time.monotonic())
            code, headers, delay = state.script.pop(0) if state.script else (200, {}, 0.0)
            time.sleep(delay)
            try:
                self.send_response(code)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on a slow reply: what the deadline test wants

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/rollouts"
    yield state
    server.shutdown()
    server.server_close()


SECRETS = {("imagegen", "rollout-webhook", "url")}


def secret_reader(url: str) -> SecretReader:
    """Secrets as the operator would read them from the API: here one Secret holding `url`."""

    async def read(namespace: str, name: str, key: str) -> str | None:
        return url if (namespace, name, key) in SECRETS else None

    return read
