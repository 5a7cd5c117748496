"""In-memory object storage with the write semantics of a Kubernetes API server.

Every write bumps one cluster-wide resourceVersion, keeps identity metadata (uid,
creationTimestamp, generation) under the server's control, isolates the status
subresource, honours finalizers and records a watch event. Stored dicts are never
mutated in place after commit, so events and snapshots can share them safely.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import dataclasses
import datetime
import logging
import secrets
import string
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from pixelproof_localcluster import admission, errors, patching
from pixelproof_localcluster.resources import ResourceRegistry, ResourceSpec
from pixelproof_localcluster.selectors import Selector

logger = logging.getLogger(__name__)

ObjectKey = tuple[str | None, str]
StorageKey = tuple[str, str]

EVENT_LOG_SIZE = 5000
_IDENTITY_FIELDS = (
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "generation",
    "resourceVersion",
)
_NOT_SPEC = ("metadata", "status", "apiVersion", "kind")


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass(frozen=True)
class WatchEvent:
    type: str
    object: dict[str, Any]
    resource_version: int


Listener = Callable[[ResourceSpec, WatchEvent], None]


class Subscription:
    """A watcher's queue of events for one storage key, optionally one namespace."""

    def __init__(self, storage_key: StorageKey, namespace: str | None) -> None:
        self.storage_key = storage_key
        self.namespace = namespace
        self.queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key not in _NOT_SPEC}


class ObjectStore:
    def __init__(
        self, registry: ResourceRegistry, validators: admission.Validators | None = None
    ) -> None:
        self.registry = registry
        self.validators: dict[tuple[str, str], admission.Validator] = dict(validators or {})
        self._objects: dict[StorageKey, dict[ObjectKey, dict[str, Any]]] = collections.defaultdict(
            dict
        )
        self._uids: dict[str, tuple[StorageKey, ObjectKey]] = {}
        self._revision = 0
        self._logs: dict[StorageKey, collections.deque[WatchEvent]] = collections.defaultdict(
            collections.deque
        )
        self._evicted: dict[StorageKey, int] = {}
        self._subscriptions: set[Subscription] = set()
        self._listeners: list[Listener] = []

    # -- reading -----------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self._revision

    @staticmethod
    def present(spec: ResourceSpec, obj: dict[str, Any]) -> dict[str, Any]:
        """The object as served for the requested version: a private deep copy."""
        body = copy.deepcopy(obj)
        return {"apiVersion": spec.api_version, "kind": spec.kind, **body}

    def _key(self, spec: ResourceSpec, namespace: str | None, name: str) -> ObjectKey:
        return (namespace if spec.namespaced else None, name)

    def _stored(self, spec: ResourceSpec, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self._objects[spec.storage_key].get(self._key(spec, namespace, name))
        if obj is None:
            raise errors.not_found(spec.plural, spec.group, name)
        return obj

    def get(self, spec: ResourceSpec, namespace: str | None, name: str) -> dict[str, Any]:
        return self.present(spec, self._stored(spec, namespace, name))

    def find(self, spec: ResourceSpec, namespace: str | None, name: str) -> dict[str, Any] | None:
        obj = self._objects[spec.storage_key].get(self._key(spec, namespace, name))
        return None if obj is None else self.present(spec, obj)

    def snapshot(
        self, spec: ResourceSpec, namespace: str | None, selector: Selector | None = None
    ) -> list[dict[str, Any]]:
        """Stored (unpresented, shared) objects in a stable order."""
        items = [
            obj
            for (ns, _), obj in sorted(
                self._objects[spec.storage_key].items(),
                key=lambda item: (item[0][0] or "", item[0][1]),
            )
            if namespace is None or ns == namespace
        ]
        return [obj for obj in items if selector is None or selector.matches(obj)]

    def list_objects(
        self, spec: ResourceSpec, namespace: str | None, selector: Selector | None = None
    ) -> list[dict[str, Any]]:
        return [self.present(spec, obj) for obj in self.snapshot(spec, namespace, selector)]

    def iter_all(self) -> Iterator[tuple[StorageKey, ObjectKey, dict[str, Any]]]:
        for storage_key, objects in list(self._objects.items()):
            for key, obj in list(objects.items()):
                yield storage_key, key, obj

    # -- watching ----------------------------------------------------------------------------

    def subscribe(self, spec: ResourceSpec, namespace: str | None) -> Subscription:
        subscription = Subscription(spec.storage_key, namespace if spec.namespaced else None)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def watching(self, spec: ResourceSpec) -> int:
        """Watch streams open now on the kind, in any namespace."""
        return sum(1 for s in self._subscriptions if s.storage_key == spec.storage_key)

    def events_after(self, spec: ResourceSpec, revision: int) -> list[WatchEvent] | None:
        """Recorded events newer than ``revision``; None when they are no longer retained."""
        if revision < self._evicted.get(spec.storage_key, 0):
            return None
        return [e for e in self._logs[spec.storage_key] if e.resource_version > revision]

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` synchronously after every committed change (in-process controllers)."""
        self._listeners.append(listener)

    def close(self) -> None:
        """End every open watch stream."""
        for subscription in list(self._subscriptions):
            subscription.queue.put_nowait(None)

    def _emit(self, spec: ResourceSpec, kind: str, obj: dict[str, Any]) -> None:
        event = WatchEvent(kind, obj, self._revision)
        log = self._logs[spec.storage_key]
        log.append(event)
        if len(log) > EVENT_LOG_SIZE:
            self._evicted[spec.storage_key] = log.popleft().resource_version
        namespace = obj["metadata"].get("namespace")
        for subscription in list(self._subscriptions):
            if subscription.storage_key == spec.storage_key and (
                subscription.namespace is None or subscription.namespace == namespace
            ):
                subscription.queue.put_nowait(event)
        for listener in list(self._listeners):
            try:
                listener(spec, event)
            except Exception:
                logger.exception("A listener failed on %s %s", kind, spec.describe())

    # -- writing -----------------------------------------------------------------------------

    def _admit(self, spec: ResourceSpec, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        mutator = admission.MUTATORS.get(spec.storage_key)
        if mutator is not None:
            mutator(obj, old)
        problems: list[str] = []
        for validators in (admission.BUILTIN_VALIDATORS, self.validators):
            validator = validators.get(spec.storage_key)
            if validator is not None:
                problems.extend(validator(self.present(spec, obj)))
        if problems:
            raise errors.invalid(spec.kind, spec.group, obj["metadata"]["name"], problems)

    def _commit(
        self, spec: ResourceSpec, key: ObjectKey, obj: dict[str, Any], kind: str
    ) -> dict[str, Any]:
        self._revision += 1
        obj["metadata"]["resourceVersion"] = str(self._revision)
        self._objects[spec.storage_key][key] = obj
        self._uids[obj["metadata"]["uid"]] = (spec.storage_key, key)
        self._emit(spec, kind, obj)
        return self.present(spec, obj)

    def _namespace_for(
        self, spec: ResourceSpec, url_namespace: str | None, meta: dict[str, Any]
    ) -> str | None:
        if not spec.namespaced:
            return None
        body_namespace = meta.get("namespace")
        if url_namespace and body_namespace and url_namespace != body_namespace:
            raise errors.bad_request(
                f"the namespace of the provided object ({body_namespace}) does not match "
                f"the namespace sent on the request ({url_namespace})"
            )
        return str(url_namespace or body_namespace or "default")

    def _generate_name(self, spec: ResourceSpec, namespace: str | None, prefix: str) -> str:
        alphabet = string.ascii_lowercase + string.digits
        while True:
            name = prefix + "".join(secrets.choice(alphabet) for _ in range(5))
            if (namespace, name) not in self._objects[spec.storage_key]:
                return name

    def ensure_namespace(self, namespace: str) -> None:
        """Namespaces spring into existence on first use: tests need not create them."""
        spec = self.registry.get("", "v1", "namespaces")
        assert spec is not None
        if (None, namespace) not in self._objects[spec.storage_key]:
            self.create(spec, None, {"metadata": {"name": namespace}})

    def create(self, spec: ResourceSpec, namespace: str | None, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("metadata", {}), dict):
            raise errors.bad_request(f"the body of a {spec.kind} must be a JSON object")
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        ns = self._namespace_for(spec, namespace, meta)
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = self._generate_name(spec, ns, str(meta["generateName"]))
        if not name:
            raise errors.invalid(spec.kind, spec.group, "", ["metadata.name: Required value"])
        key = (ns, str(name))
        if key in self._objects[spec.storage_key]:
            raise errors.already_exists(spec.plural, spec.group, str(name))
        if spec.has_status:
            obj.pop("status", None)
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
            meta.pop(field, None)
        meta.update(name=name, uid=str(uuid.uuid4()), creationTimestamp=utc_now(), generation=1)
        if ns is None:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = ns
        obj["apiVersion"], obj["kind"] = spec.api_version, spec.kind
        self._admit(spec, obj, None)
        if ns is not None:
            self.ensure_namespace(ns)
        return self._commit(spec, key, obj, "ADDED")

    def replace(
        self,
        spec: ResourceSpec,
        namespace: str | None,
        name: str,
        body: Any,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        old = self._stored(spec, namespace, name)
        if not isinstance(body, dict) or not isinstance(body.get("metadata", {}), dict):
            raise errors.bad_request(f"the body of a {spec.kind} must be a JSON object")
        body_meta = body.get("metadata") or {}
        if body_meta.get("name") not in (None, name):
            raise errors.bad_request(
                f"the name of the object ({body_meta['name']}) does not match the name on "
                f"the URL ({name})"
            )
        self._check_version(spec, old, body_meta.get("resourceVersion"))
        if subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = copy.deepcopy(body.get("status"))
        else:
            new = copy.deepcopy(body)
        return self._update(spec, old, new, subresource)

    def patch(
        self,
        spec: ResourceSpec,
        namespace: str | None,
        name: str,
        content_type: str,
        patch: Any,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        old = self._stored(spec, namespace, name)
        patched = patching.apply_patch(content_type, self.present(spec, old), patch)
        if not isinstance(patched.get("metadata", {}), dict):
            raise errors.unprocessable("metadata must be an object")
        self._check_version(spec, old, (patched.get("metadata") or {}).get("resourceVersion"))
        if subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = patched.get("status")
        else:
            new = patched
        return self._update(spec, old, new, subresource)

    def _check_version(self, spec: ResourceSpec, old: dict[str, Any], version: Any) -> None:
        if version and str(version) != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                spec.plural,
                spec.group,
                old["metadata"]["name"],
                "the object has been modified; please apply your changes to the latest version "
                "and try again",
            )

    def _update(
        self,
        spec: ResourceSpec,
        old: dict[str, Any],
        new: dict[str, Any],
        subresource: str | None,
    ) -> dict[str, Any]:
        if new.get("status") is None:
            new.pop("status", None)
        if subresource is None and spec.has_status:
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        meta = new.setdefault("metadata", {})
        old_meta = old["metadata"]
        for field in _IDENTITY_FIELDS:
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        if old_meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = old_meta["deletionTimestamp"]
            meta["deletionGracePeriodSeconds"] = old_meta.get("deletionGracePeriodSeconds", 0)
        else:
            meta.pop("deletionTimestamp", None)
            meta.pop("deletionGracePeriodSeconds", None)
        new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
        self._admit(spec, new, old)
        if _spec_part(new) != _spec_part(old):
            meta["generation"] = int(old_meta.get("generation", 1)) + 1
        if new == old:
            return self.present(spec, old)
        key = self._key(spec, meta.get("namespace"), meta["name"])
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._remove(spec, key, new, orphan=False)
        return self._commit(spec, key, new, "MODIFIED")

    def delete(
        self,
        spec: ResourceSpec,
        namespace: str | None,
        name: str,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        old = self._stored(spec, namespace, name)
        options = options or {}
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != old["metadata"]["uid"]:
            raise errors.conflict(spec.plural, spec.group, name, "the UID precondition failed")
        self._check_version(spec, old, preconditions.get("resourceVersion"))
        orphan = options.get("propagationPolicy") == "Orphan" or bool(
            options.get("orphanDependents")
        )
        key = self._key(spec, namespace, name)
        if old["metadata"].get("finalizers"):
            if old["metadata"].get("deletionTimestamp"):
                return self.present(spec, old)
            new = copy.deepcopy(old)
            new["metadata"]["deletionTimestamp"] = utc_now()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            return self._commit(spec, key, new, "MODIFIED")
        if spec.storage_key == ("", "namespaces"):
            self._empty_namespace(name)
        return self._remove(spec, key, copy.deepcopy(old), orphan=orphan)

    def _remove(
        self, spec: ResourceSpec, key: ObjectKey, obj: dict[str, Any], *, orphan: bool
    ) -> dict[str, Any]:
        self._revision += 1
        obj["metadata"]["resourceVersion"] = str(self._revision)
        del self._objects[spec.storage_key][key]
        uid = obj["metadata"]["uid"]
        self._uids.pop(uid, None)
        self._emit(spec, "DELETED", obj)
        self._collect_dependents(uid, orphan=orphan)
        return self.present(spec, obj)

    def _collect_dependents(self, owner_uid: str, *, orphan: bool) -> None:
        """Garbage collection: dependents whose last live owner is gone are deleted too."""
        for storage_key, key, obj in self.iter_all():
            refs = obj["metadata"].get("ownerReferences") or []
            if not any(ref.get("uid") == owner_uid for ref in refs):
                continue
            spec = self.registry.find(*storage_key)
            if spec is None or self._objects[storage_key].get(key) is not obj:
                continue
            remaining = [ref for ref in refs if ref.get("uid") != owner_uid]
            if orphan or any(ref.get("uid") in self._uids for ref in remaining):
                new = copy.deepcopy(obj)
                new["metadata"]["ownerReferences"] = remaining
                if not remaining:
                    del new["metadata"]["ownerReferences"]
                self._update(spec, obj, new, None)
            else:
                self.delete(spec, key[0], key[1], {"propagationPolicy": "Background"})

    def _empty_namespace(self, namespace: str) -> None:
        for storage_key, key, _ in self.iter_all():
            spec = self.registry.find(*storage_key)
            present = key in self._objects[storage_key]
            if key[0] == namespace and spec is not None and spec.namespaced and present:
                self.delete(spec, key[0], key[1])

    def drop_all(self, spec: ResourceSpec) -> None:
        """Remove every object of a kind whose definition is gone (no finalizers honoured)."""
        for key, obj in list(self._objects[spec.storage_key].items()):
            self._remove(spec, key, copy.deepcopy(obj), orphan=False)
