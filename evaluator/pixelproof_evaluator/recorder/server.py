"""The recorder's HTTP service: mirrored generate requests in, the sample out.

The data plane sends the mirror copy of a request alongside the original and discards the
answer, so nothing the recorder does is on the user's path; it still answers at once with a
tiny 202. Work is bounded: a fixed pool of handler threads with a short queue (a connection
beyond it is closed unanswered and counted), a body limit enforced from the declared length
before reading, and the sample's own maximum."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pixelproof.api.workloads import EVALUATION_HEADER
from pixelproof.running import Running, serve_in_thread, stop_serving

from .body import BodyTooLarge, read_body
from .metrics import RecorderCounts, exposition
from .records import RecordError, from_generate_body
from .redaction import Redactor
from .store import SampleStore

log = logging.getLogger("pixelproof_evaluator.recorder")

DEFAULT_MAX_BODY_BYTES = 1 << 20
DEFAULT_WORKERS = 16
DEFAULT_BACKLOG = 64
IDLE_TIMEOUT_SECONDS = 15.0
ACCEPTED = b'{"recorded":true}'
SAMPLES_PATH = "/samples"


class RecorderServer(Running):
    """The recorder on host:port (0 picks a free one) between start() and stop()."""

    def __init__(
        self,
        store: SampleStore,
        redactor: Redactor,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        workers: int = DEFAULT_WORKERS,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        self.store = store
        self.redactor = redactor
        self.max_body_bytes = max_body_bytes
        self.rejected: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._address = (host, port)
        self._workers = workers
        self._backlog = backlog
        self._httpd: _PooledServer | None = None
        self._thread: threading.Thread | None = None

    def count(self, counter: Counter[str], reason: str) -> None:
        with self._lock:
            counter[reason] += 1

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the recorder is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    def start(self) -> RecorderServer:
        self._httpd = _PooledServer(self._address, self, self._workers, self._backlog)
        self._thread = serve_in_thread(self._httpd, "recorder")
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        stop_serving(self._httpd, self._thread)
        self._httpd.pool.shutdown(wait=True, cancel_futures=True)
        self._httpd = None
        self.store.close()

    def metrics_text(self) -> str:
        counts = self.store.counts
        with self._lock:
            rejected, ignored = dict(self.rejected), dict(self.ignored)
        return exposition(
            RecorderCounts(
                recorded=counts.recorded,
                refreshed=counts.refreshed,
                rejected=rejected,
                ignored=ignored,
                dropped=dict(counts.dropped),
                sample_size=len(self.store),
                sample_max=self.store.max_count,
            )
        )


class _PooledServer(HTTPServer):
    """Connections are served by a fixed pool; when it and its queue are busy, a new
    connection is closed at once rather than given a thread of its own."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], app: RecorderServer, workers: int, backlog: int
    ) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recorder")
        self._slots = threading.BoundedSemaphore(workers + backlog)
        self.request_queue_size = backlog
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.app.count(self.app.rejected, "overload")
            self.shutdown_request(request)
            return
        self.pool.submit(self._serve, request, client_address)

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # one broken connection must not end the worker
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_SECONDS
    server: _PooledServer

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines carry no prompt text, but the recorder logs nothing per request
        # anyway: at mirror rates it would only fill the log.
        return

    @property
    def app(self) -> RecorderServer:
        return self.server.app

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._send(HTTPStatus.OK, "application/json", b'{"status":"ok"}')
        elif url.path == "/metrics":
            body = self.app.metrics_text().encode()
            self._send(HTTPStatus.OK, "text/plain; version=0.0.4; charset=utf-8", body)
        elif url.path == SAMPLES_PATH:
            self._samples(url.query)
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no route for GET {url.path}")

    def _samples(self, query: str) -> None:
        values = parse_qs(query).get("count", [str(self.app.store.max_count)])
        try:
            count = int(values[0])
        except ValueError:
            count = -1
        if count < 1:
            self._error(
                HTTPStatus.BAD_REQUEST, f"count must be a positive integer, got {values[0]!r}"
            )
            return
        lines = [r.to_line() for r in self.app.store.sample(count)]
        body = ("\n".join(lines) + "\n" if lines else "").encode()
        self._send(HTTPStatus.OK, "application/jsonl; charset=utf-8", body)

    def do_POST(self) -> None:
        if urlsplit(self.path).path == SAMPLES_PATH:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "the sample is read with GET")
            return
        try:
            data = read_body(self.rfile, self.headers, self.app.max_body_bytes)
        except BodyTooLarge:
            self.app.count(self.app.rejected, "too-large")
            self.close_connection = True
            self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body is over {self.app.max_body_bytes} bytes"
            )
            return
        except (ValueError, OSError):
            self.app.count(self.app.rejected, "bad-framing")
            self.close_connection = True
            self._error(HTTPStatus.BAD_REQUEST, "the body's length or chunking is malformed")
            return
        if self.headers.get(EVALUATION_HEADER) is not None:
            self.app.count(self.app.ignored, "evaluation")
            self._send(HTTPStatus.ACCEPTED, "application/json", b'{"recorded":false}')
            return
        try:
            record = from_generate_body(json.loads(data), self.app.store.now())
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.app.count(self.app.rejected, "invalid-json")
            self._error(HTTPStatus.BAD_REQUEST, "body is not valid JSON")
            return
        except RecordError as exc:
            self.app.count(self.app.rejected, "invalid-request")
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        self.app.store.add(self.app.redactor.record(record))
        self._send(HTTPStatus.ACCEPTED, "application/json", ACCEPTED)

    def _error(self, status: int, message: str) -> None:
        self._send(status, "application/json", json.dumps({"error": message}).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
