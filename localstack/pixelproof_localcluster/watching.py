"""Watch streams: newline-delimited JSON events, resumable by resourceVersion."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp.web

from pixelproof_localcluster import errors
from pixelproof_localcluster.resources import ResourceSpec
from pixelproof_localcluster.selectors import Selector
from pixelproof_localcluster.store import ObjectStore, WatchEvent

# A stream whose client went away is noticed within this many seconds even when idle.
_DISCONNECT_POLL_SECONDS = 1.0

Cut = Callable[[], dict[str, Any] | None]
"""Asked once a second and before each event: a Status to end the stream with, or None."""


Silenced = Callable[[float], bool]
"""Whether a stream opened at a monotonic time delivers nothing more (an injected fault)."""


def _never() -> None:
    return None


def _not_silenced(opened: float) -> bool:
    return False


def _timeout(params: Mapping[str, str]) -> float | None:
    raw = params.get("timeoutSeconds")
    if raw in (None, ""):
        return None
    try:
        return max(0.0, float(raw))
    except ValueError as exc:
        raise errors.bad_request(f"timeoutSeconds must be a number, got {raw!r}") from exc


def _initial_events(
    store: ObjectStore, spec: ResourceSpec, namespace: str | None, params: Mapping[str, str]
) -> list[WatchEvent] | None:
    since = params.get("resourceVersion")
    if since in (None, "", "0") or params.get("sendInitialEvents") == "true":
        revision = store.revision
        return [WatchEvent("ADDED", obj, revision) for obj in store.snapshot(spec, namespace)]
    try:
        revision = int(str(since))
    except ValueError as exc:
        raise errors.bad_request(f"resourceVersion must be an integer, got {since!r}") from exc
    return store.events_after(spec, revision)


Render = Callable[[dict[str, Any]], dict[str, Any]]


def _line(render: Render, kind: str, obj: dict[str, Any]) -> bytes:
    payload = {"type": kind, "object": render(obj)}
    return json.dumps(payload).encode() + b"\n"


async def serve_watch(
    raw_request: aiohttp.web.BaseRequest,
    store: ObjectStore,
    spec: ResourceSpec,
    namespace: str | None,
    name: str | None,
    params: Mapping[str, str],
    render: Render | None = None,
    cut: Cut = _never,
    silenced: Silenced = _not_silenced,
) -> aiohttp.web.StreamResponse:
    """Stream the watch; `render` turns each stored object into what is sent (by default
    the object as served)."""
    shown: Render = render or (lambda obj: ObjectStore.present(spec, obj))
    selector = Selector.from_params(params)
    if name is not None:
        selector = Selector(selector.labels, (*selector.fields, ("metadata.name", "=", name)))
    timeout = _timeout(params)
    opened = time.monotonic()
    subscription = store.subscribe(spec, namespace)
    try:
        baseline = store.revision
        initial = _initial_events(store, spec, namespace, params)
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(raw_request)
        if initial is None:
            gone = errors.gone("too old resource version").to_status()
            await response.write(json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n")
            await response.write_eof()
            return response
        for event in initial:
            if selector.matches(event.object):
                await response.write(_line(shown, event.type, event.object))
        if params.get("sendInitialEvents") == "true":
            bookmark = {
                "metadata": {
                    "resourceVersion": str(baseline),
                    "annotations": {"k8s.io/initial-events-end": "true"},
                }
            }
            served = ObjectStore.present(spec, bookmark)
            await response.write(_line(lambda _: served, "BOOKMARK", bookmark))
        await _stream_live(
            raw_request,
            response,
            subscription,
            shown,
            selector,
            baseline,
            timeout,
            cut,
            lambda: silenced(opened),
        )
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response
    except ConnectionError:
        return aiohttp.web.StreamResponse()
    finally:
        store.unsubscribe(subscription)


async def _stream_live(
    raw_request: aiohttp.web.BaseRequest,
    response: aiohttp.web.StreamResponse,
    subscription: Any,
    render: Render,
    selector: Selector,
    baseline: int,
    timeout: float | None,
    cut: Cut,
    silent: Callable[[], bool],
) -> None:
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while True:
        wait = _DISCONNECT_POLL_SECONDS
        if deadline is not None and not silent():
            wait = min(wait, deadline - loop.time())
            if wait <= 0:
                return
        transport = raw_request.transport
        if transport is None or transport.is_closing():
            return
        status = cut()
        if status is not None:
            await response.write(json.dumps({"type": "ERROR", "object": status}).encode() + b"\n")
            return
        try:
            event = await asyncio.wait_for(subscription.queue.get(), wait)
        except TimeoutError:
            continue
        if event is None:
            return
        if event.resource_version <= baseline or not selector.matches(event.object):
            continue
        if silent():
            continue
        await response.write(_line(render, event.type, event.object))
