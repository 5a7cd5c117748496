"""The generator HTTP service, in a thread of its own (``RefGenServer``).

Routes: ``POST {path}`` (default ``/generate``) renders an image; ``POST /edit``,
``/inpaint`` and ``/upscale`` derive one from an input image (img2img.py); ``GET /healthz``;
``GET /metrics`` (Prometheus exposition); ``GET /faults`` and ``PUT /faults`` read and
replace the fault knobs (faults.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pixelproof.api.workloads import EVALUATION_HEADER
from pixelproof.running import Running, serve_in_thread, stop_serving

from . import distort
from .faults import HANG_SECONDS, Decisions, FaultDice, Faults
from .image_request import TASKS, parse_image_request
from .img2img import InputExhaustsMemory, UnusualInput, transform
from .metrics import GeneratorMetrics
from .render import encode_png, render
from .request import BadRequest, parse_request

log = logging.getLogger("pixelproof_refgen")

MAX_BODY_BYTES = 1 << 20
MAX_IMAGE_BODY_BYTES = 96 << 20


class RefGenServer(Running):
    """A reference generator on ``host:port`` (port 0 picks a free one), serving from a
    background thread between ``start()`` and ``stop()``."""

    def __init__(
        self,
        port: int = 0,
        faults: Faults | None = None,
        *,
        host: str = "127.0.0.1",
        path: str = "/generate",
    ) -> None:
        if not path.startswith("/"):
            raise ValueError(f"generate path must start with '/', got {path!r}")
        self.host = host
        self.path = path
        self.metrics = GeneratorMetrics()
        self.stopping = threading.Event()
        self._dice = FaultDice(faults or Faults())
        self._requested_port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def faults(self) -> Faults:
        return self._dice.faults

    def set_faults(self, faults: Faults) -> None:
        self._dice.reset(faults)
        log.info("faults set: %s", faults.active() or "none")

    def roll(self) -> tuple[Faults, Decisions]:
        return self._dice.roll()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the generator server is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def generate_url(self) -> str:
        return self.url + self.path

    def start(self) -> RefGenServer:
        if self._httpd is not None:
            raise RuntimeError("the generator server is already started")
        self.stopping.clear()
        self._httpd = _HTTPServer((self.host, self._requested_port), _Handler, self)
        self._thread = serve_in_thread(self._httpd, f"refgen-{self.port}")
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.stopping.set()
        stop_serving(self._httpd, self._thread)
        self._httpd = None
        self._thread = None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[_Handler], app: RefGenServer):
        self.app = app
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    evaluation = False  # set per request from the evaluation header
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client's
    # delayed ACK would add about 40 ms to every answer.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    @property
    def app(self) -> RefGenServer:
        return self.server.app

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send_json(HTTPStatus.OK, {"status": "ok"})
        elif self.path == "/metrics":
            self._send(
                HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(self.app.metrics.registry)
            )
        elif self.path == "/faults":
            self._send_json(HTTPStatus.OK, self.app.faults.to_dict())
        else:
            self._not_found()

    def do_PUT(self) -> None:
        if self.path != "/faults":
            self._not_found()
            return
        try:
            values = self._read_json()
            if not isinstance(values, dict):
                raise ValueError("faults must be a JSON object of knob names to values")
            faults = Faults.from_mapping(values)
        except (BadRequest, TypeError, ValueError) as error:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        self.app.set_faults(faults)
        self._send_json(HTTPStatus.OK, faults.to_dict())

    def do_POST(self) -> None:
        task = self.path.lstrip("/")
        if self.path != self.app.path and task not in TASKS:
            self._not_found()
            return
        started = time.perf_counter()
        self.evaluation = self.headers.get(EVALUATION_HEADER) is not None
        try:
            if self.path == self.app.path:
                request = parse_request(self._read_json())
                prompt = request.prompt
            else:
                content_type = self.headers.get("Content-Type", "application/json")
                body = self._read_body(MAX_IMAGE_BODY_BYTES)
                image_request = parse_image_request(task, content_type, body)
                prompt = image_request.prompt
        except BadRequest as error:
            self._answer(started, error.status, "application/json", _json(error.to_json()))
            return
        faults, decisions = self.app.roll()
        if not faults.applies_to(prompt):
            faults, decisions = faults.untriggered(), Decisions(noise_seed=decisions.noise_seed)
        if decisions.hang:
            self.app.stopping.wait(HANG_SECONDS)
        if decisions.hang or decisions.crash:
            self.close_connection = True
            return
        latency = (faults.latency_ms + (faults.tail_latency_ms if decisions.tail else 0.0)) / 1000.0
        if latency > 0 and self.app.stopping.wait(latency):
            self.close_connection = True
            return
        if decisions.error:
            body = _json({"error": "upstream worker failed (injected error_rate fault)"})
            self._answer(started, HTTPStatus.BAD_GATEWAY, "application/json", body)
            return
        if decisions.html_error:
            self._answer(started, HTTPStatus.OK, "image/png", distort.HTML_ERROR_PAGE)
            return
        render_started = time.perf_counter()
        try:
            if self.path == self.app.path:
                png = render(request, faults, decisions).png()
            else:
                png = encode_png(transform(image_request, faults, decisions))
        except BadRequest as error:
            self._answer(started, error.status, "application/json", _json(error.to_json()))
            return
        except InputExhaustsMemory:
            log.warning("worker out of memory on a large input (injected max_input_pixels fault)")
            self.close_connection = True
            return
        except UnusualInput as error:
            body = _json({"error": f"{error} (injected fail_unusual_modes fault)"})
            self._answer(started, HTTPStatus.INTERNAL_SERVER_ERROR, "application/json", body)
            return
        except (OSError, ValueError) as error:
            log.exception("rendering failed")
            body = _json({"error": f"rendering failed: {error}"})
            self._answer(started, HTTPStatus.INTERNAL_SERVER_ERROR, "application/json", body)
            return
        if not self.evaluation:
            self.app.metrics.gpu_seconds.inc(time.perf_counter() - render_started + latency)
            self.app.metrics.images.inc()
        if decisions.corrupt_png:
            png = distort.break_signature(png)
        self._answer(started, HTTPStatus.OK, "image/png", png)

    def _answer(self, started: float, status: int, content_type: str, body: bytes) -> None:
        self._send(status, content_type, body)
        if self.evaluation:
            self.app.metrics.evaluation_requests.labels(code=str(int(status))).inc()
            return
        self.app.metrics.requests.labels(code=str(int(status))).inc()
        self.app.metrics.duration.observe(time.perf_counter() - started)

    def _read_body(self, limit: int) -> bytes:
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            self.close_connection = True
            raise BadRequest("body", "a JSON body with a Content-Length header is required", 411)
        length = int(length_header)
        if length > limit:
            self.close_connection = True
            raise BadRequest("body", f"body is over the limit of {limit} bytes", 413)
        return self.rfile.read(length)

    def _read_json(self) -> Any:
        body = self._read_body(MAX_BODY_BYTES)
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadRequest("body", f"body is not valid JSON: {error}") from None

    def _not_found(self) -> None:
        self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no route for {self.command} {self.path}"})

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, "application/json", _json(payload))

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode()
