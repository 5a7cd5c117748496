"""One kind's objects, listed and then watched into memory, as the API server last said
them to be: what answers a reconcile's reads without a request.

A reflector lists its kind in one scope (a namespace, or every namespace), then watches
from the version the list answered at. A watch stream the server ends is opened again
from the last version it delivered; one whose version has expired (410 Gone) lists again,
and what the new listing lacks is gone. A refused or dropped stream is opened again after
a growing pause. A kind the API server does not serve (its CRD is not installed) or may
not be read is asked for again now and then, and not answered from memory meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from .cache import index_keys
from .client import KubeApi
from .errors import ApiError, ForbiddenError, NotFoundError, TransportError, api_error
from .resources import Resource

logger = logging.getLogger(__name__)

LIST_PAGE = 500
"""Objects a list asks for at a time: a big namespace is listed in pages, as kubectl does."""
UNSERVED_RETRY_SECONDS = 60.0
"""How often a kind the API server does not serve, or forbids, is asked for again."""
BACKOFFS = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Pauses before a failed list or watch is tried again, the last repeated."""
SHORTEST_STREAM = 1.0
"""Seconds a stream lasts at least unless something is wrong (a proxy that ends every
stream at once): one that ends sooner waits as a failure does before the next."""

WatchState = Literal["listing", "synced", "unserved", "forbidden", "failing"]
WATCH_STATES: tuple[WatchState, ...] = get_args(WatchState)
"""listing: not listed yet; synced: listed and followed; unserved: the API server serves
no such kind; forbidden: the credentials may not list or watch it; failing: its stream
was refused or dropped, and what is kept may lag until it is opened again."""

Keep = Callable[[Mapping[str, Any]], dict[str, Any]]
Delivered = Callable[[str, str, Mapping[str, Any] | None], None]
"""Called with (namespace, name, object kept) for each object listed or changed; None
when it is gone."""


@dataclass(frozen=True)
class WatchTimeouts:
    server: float
    """Seconds the API server is asked to keep a stream open."""
    client: float
    """Seconds after which the client ends a stream itself, however the server keeps it."""
    connect: float


class Store(Mapping[Hashable, Iterable[Mapping[str, Any]]]):
    """One kind's kept objects, each under its name key and the label keys of `listed_by`
    (the keys `ObjectCache` looks for), for one or more reflectors of that kind."""

    def __init__(self, listed_by: Iterable[str] = ()) -> None:
        self._listed_by = tuple(listed_by)
        self._keys: dict[tuple[str, str], list[Hashable]] = {}
        self._by_key: dict[Hashable, dict[tuple[str, str], Mapping[str, Any]]] = {}

    def __getitem__(self, key: Hashable) -> list[Mapping[str, Any]]:
        return list(self._by_key[key].values())

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def put(self, namespace: str, name: str, kept: Mapping[str, Any]) -> None:
        self.remove(namespace, name)
        labels = (kept.get("metadata") or {}).get("labels") or {}
        keys: list[Hashable] = list(index_keys(namespace, name, labels, self._listed_by))
        self._keys[(namespace, name)] = keys
        for key in keys:
            self._by_key.setdefault(key, {})[(namespace, name)] = kept

    def remove(self, namespace: str, name: str) -> None:
        for key in self._keys.pop((namespace, name), ()):
            objects = self._by_key[key]
            objects.pop((namespace, name), None)
            if not objects:
                del self._by_key[key]

    def clear(self) -> None:
        self._keys.clear()
        self._by_key.clear()

    def names(self, namespace: str | None) -> set[tuple[str, str]]:
        """(namespace, name) of what is kept in `namespace` (None: in every one)."""
        return {k for k in self._keys if namespace is None or k[0] == namespace}


class Reflector:
    """Keeps `store` what the API server holds of `res` in `namespace` (None: every
    namespace), of the objects `label_selector` selects and `wanted` namespaces hold."""

    def __init__(
        self,
        api: KubeApi,
        res: Resource,
        namespace: str | None,
        store: Store,
        *,
        keep: Keep,
        timeouts: WatchTimeouts,
        label_selector: str | None = None,
        wanted: Callable[[str], bool] = lambda _: True,
        delivered: Delivered = lambda *_: None,
        changed: Callable[[WatchState], None] = lambda _: None,
    ) -> None:
        self.api, self.res, self.namespace, self.store = api, res, namespace, store
        self.keep, self.timeouts, self.label_selector = keep, timeouts, label_selector
        self.wanted, self.delivered, self._changed = wanted, delivered, changed
        self.state: WatchState = "listing"
        self.synced = False
        """Whether the store holds a listing of the scope, followed since."""
        self.settled = asyncio.Event()
        """Set once the first listing is answered: with the objects, or with a refusal."""
        self._complaint = ""

    @property
    def scope(self) -> str:
        where = f"namespace {self.namespace}" if self.namespace else "all namespaces"
        return f"{self.res.plural} in {where}"

    async def run(self) -> None:
        self._changed(self.state)
        loop = asyncio.get_running_loop()
        version: str | None = None
        failures = 0
        while True:
            try:
                if version is None:
                    version = await self._list()
                    self.synced = True
                    self.settled.set()
                    self._recovered()
                    self._became("synced")
                opened = loop.time()
                version = await self._watch(version)
                if loop.time() - opened >= SHORTEST_STREAM:
                    failures = 0
                else:
                    failures += 1
                    await asyncio.sleep(BACKOFFS[min(failures, len(BACKOFFS)) - 1])
            except (NotFoundError, ForbiddenError) as exc:
                self.synced, version = False, None
                self.settled.set()
                self._became("unserved" if isinstance(exc, NotFoundError) else "forbidden")
                # A router's CRD that is not installed is no fault; a forbidden read is.
                level = logging.INFO if isinstance(exc, NotFoundError) else logging.WARNING
                self._complain(f"{exc}; reads go to the API server", level)
                await asyncio.sleep(UNSERVED_RETRY_SECONDS)
            except (ApiError, TransportError, ValueError) as exc:
                # The last version delivered is watched from again; an expired one lists.
                pause = BACKOFFS[min(failures, len(BACKOFFS) - 1)]
                failures += 1
                self._became("failing")
                self._complain(f"{exc}; trying again in {pause:g}s", logging.WARNING)
                await asyncio.sleep(pause)
            except Exception:
                # A fault of this code, not the server's: what is kept may be wrong, so
                # reads go to the API server until a listing starts afresh.
                self.synced, version = False, None
                self.settled.set()
                self._became("failing")
                logger.exception("%s: following it failed; listing again", self.scope)
                await asyncio.sleep(BACKOFFS[-1])

    def _became(self, state: WatchState) -> None:
        if state != self.state:
            self.state = state
            self._changed(state)

    def _complain(self, what: str, level: int) -> None:
        # Said once while it lasts: a kind not installed would otherwise log every minute.
        if what != self._complaint:
            logger.log(level, "%s: %s", self.scope, what)
        self._complaint = what

    def _recovered(self) -> None:
        if self._complaint:
            logger.info("%s: listed again", self.scope)
        self._complaint = ""

    def _params(self) -> dict[str, str]:
        return {"labelSelector": self.label_selector} if self.label_selector else {}

    async def _list(self) -> str:
        """List the scope into the store, dropping what it no longer holds; the version
        the listing is at."""
        listed: set[tuple[str, str]] = set()
        params = {**self._params(), "limit": str(LIST_PAGE)}
        while True:
            page = await self.api.list_page(self.res, self.namespace or "", params)
            for obj in page.get("items") or []:
                listed.add(self._put(obj))
            meta = page.get("metadata") or {}
            if not meta.get("continue"):
                break
            params["continue"] = str(meta["continue"])
        for namespace, name in self.store.names(self.namespace) - listed:
            self.store.remove(namespace, name)
            self.delivered(namespace, name, None)
        return str(meta.get("resourceVersion") or "")

    def _put(self, obj: Mapping[str, Any]) -> tuple[str, str]:
        namespace, name = _where(obj)
        if self.wanted(namespace):
            kept = self.keep(obj)
            self.store.put(namespace, name, kept)
            self.delivered(namespace, name, kept)
        return namespace, name

    async def _watch(self, version: str) -> str | None:
        """Follow the scope from `version` until the stream ends; the version to follow
        from next, None when it expired and only a new listing can go on."""
        params = {
            **self._params(),
            "watch": "true",
            "resourceVersion": version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(max(1, round(self.timeouts.server))),
        }
        async for event in self.api.watch(
            self.res,
            self.namespace or "",
            params,
            client_timeout=self.timeouts.client,
            connect_timeout=self.timeouts.connect,
            # Followed from the last version delivered: nothing was missed meanwhile.
            opened=lambda: self._became("synced"),
        ):
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                code = int(obj.get("code") or 500)
                if code == 410:
                    return None
                raise api_error(code, str(obj.get("reason") or ""), str(obj.get("message") or ""))
            version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
            if kind == "DELETED":
                namespace, name = _where(obj)
                if self.wanted(namespace):
                    self.store.remove(namespace, name)
                    self.delivered(namespace, name, None)
            elif kind in ("ADDED", "MODIFIED"):
                self._put(obj)
        return version


def _where(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")
