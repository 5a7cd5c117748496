"""The local Kubernetes API server: kmock's emulator with Kubernetes write semantics.

``LocalApiServer`` keeps kmock's HTTP plumbing (request parsing, ``kmock.Server``,
the DSL for non-API paths) and replaces its object handling with ``ObjectStore``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp.web
import attrs
import kmock

from pixelproof_localcluster import (
    admission,
    crd_registration,
    discovery,
    errors,
    faults,
    fieldvalidation,
    openapi,
    patching,
    scale,
    tables,
)
from pixelproof_localcluster.resources import ResourceRegistry, ResourceSpec
from pixelproof_localcluster.routing import ApiPath, parse_api_path
from pixelproof_localcluster.selectors import Selector
from pixelproof_localcluster.store import ObjectStore
from pixelproof_localcluster.watching import serve_watch

logger = logging.getLogger(__name__)

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# kmock remembers every request for assertions; a long-running server keeps only the latest.
_REQUEST_HISTORY = 2000


def _json(body: Any, status: int = 200, warnings: Sequence[str] = ()) -> aiohttp.web.Response:
    response = aiohttp.web.json_response(body, status=status)
    for warning in warnings:
        quoted = warning.replace("\\", "\\\\").replace('"', '\\"')
        response.headers.add("Warning", f'299 - "{quoted}"')
    return response


@attrs.define(kw_only=True)
class LocalApiServer(kmock.KubernetesEmulator):
    validators: Mapping[tuple[str, str], admission.Validator] = attrs.field(factory=dict)
    registry: ResourceRegistry = attrs.field(factory=ResourceRegistry)
    store: ObjectStore = attrs.field(init=False)
    faults: faults.Faults = attrs.field(factory=faults.Faults)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.store = ObjectStore(self.registry, self.validators)
        crd_registration.attach(self.store)
        for namespace in INITIAL_NAMESPACES:
            self.store.ensure_namespace(namespace)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        # kmock's own request parser fails on valid paths such as /api/v1/namespaces,
        # so requests are parsed here with this package's router.
        request = await self._parse_request(raw_request)
        self._requests.append(request)
        try:
            return await self._handle(request)
        except Exception as exc:
            logger.exception("The local API server failed on %s %s", request.method, request.url)
            return await self._render_error(exc)

    async def _parse_request(self, raw_request: aiohttp.web.BaseRequest) -> kmock.Request:
        body = await raw_request.read()
        text = body.decode("utf-8", errors="replace")
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            data = None
        api = parse_api_path(raw_request.path)
        resource = None
        if api is not None and api.version is not None and api.plural is not None:
            resource = kmock.resource(api.group, api.version, api.plural)
        return kmock.Request(
            id=len(self._requests),
            raw_request=raw_request,
            url=raw_request.url,
            method=raw_request.method,
            params=dict(raw_request.query),
            headers=dict(raw_request.headers),
            cookies=dict(raw_request.cookies),
            body=body,
            text=text,
            data=data,
            resource=resource,
            namespace=api.namespace if api else None,
            name=api.name if api else None,
            subresource=api.subresource if api else None,
        )

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if len(self._requests) > _REQUEST_HISTORY:
            del self._requests[: _REQUEST_HISTORY // 2]
        path = request.url.path.rstrip("/") or "/"
        try:
            if path == faults.CONTROL_PATH:
                return self._serve_fault_control(request)
            api = parse_api_path(path)
            if api is not None or path in ("/version", "/apis"):
                self._inject_fault(request, api)
            if path == "/version":
                return _json(discovery.SERVER_VERSION)
            if path == "/apis":
                return _json(discovery.api_group_list(self.registry))
            if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
                return _json(openapi.serve(self.registry, path))
            if path == "/openapi/v2":
                raise errors.not_acceptable(
                    "the local API server serves OpenAPI v3 only, as JSON: GET /openapi/v3"
                )
            if api is None:
                return await kmock.RawHandler._handle(self, request)
            return await self._serve_resource_api(request, api)
        except errors.StatusFailure as exc:
            return _json(exc.to_status(), exc.status)

    def _inject_fault(self, request: kmock.Request, api: ApiPath | None) -> None:
        verb = faults.verb_of(
            str(request.method.value).upper(),
            named=api is None or api.name is not None,
            watch=request.params.get("watch") in ("true", "1"),
        )
        fault = self.faults.pick(verb, api.plural if api is not None else None)
        if fault is not None:
            raise fault

    def _serve_fault_control(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        method = str(request.method.value).upper()
        if method == "POST":
            if not isinstance(request.data, dict):
                raise errors.bad_request("a fault plan is a JSON object")
            self.faults.apply(request.data)
        elif method == "DELETE":
            self.faults.clear()
        elif method != "GET":
            raise errors.method_not_allowed(f"{method} is not supported on {faults.CONTROL_PATH}")
        return _json(self.faults.describe())

    async def _serve_resource_api(
        self, request: kmock.Request, api: ApiPath
    ) -> aiohttp.web.StreamResponse:
        if api.version is None:
            if not api.group:
                return _json(discovery.api_versions())
            return _json(discovery.api_group(self.registry, api.group))
        if api.plural is None:
            return _json(discovery.api_resource_list(self.registry, api.group, api.version))
        spec = self.registry.get(api.group, api.version, api.plural)
        if spec is None or (api.namespace is not None and not spec.namespaced):
            raise errors.not_found(api.plural, api.group, api.name)
        if api.subresource is not None and api.subresource not in spec.subresources:
            raise errors.not_found(f"{api.plural}/{api.subresource}", api.group, api.name)
        method = str(request.method.value).upper()
        if request.body and "protobuf" in self._content_type(request):
            raise errors.unsupported_media_type(self._content_type(request))
        accept = self._header(request, "accept")
        if accept and "json" not in accept and "*/*" not in accept:
            raise errors.not_acceptable(
                f"the local API server answers in JSON only (application/json); got Accept: {accept}"
            )
        if api.name is None:
            return await self._serve_collection(request, method, spec, api)
        return await self._serve_object(request, method, spec, api, api.name)

    async def _serve_collection(
        self, request: kmock.Request, method: str, spec: ResourceSpec, api: ApiPath
    ) -> aiohttp.web.StreamResponse:
        params = request.params
        if method == "GET" and params.get("watch") in ("true", "1"):
            assert request._raw_request is not None
            return await serve_watch(
                request._raw_request,
                self.store,
                spec,
                api.namespace,
                None,
                params,
                self._watch_render(request, spec),
                lambda: self._cut(spec.plural),
                lambda opened: self.faults.silenced(spec.plural, opened),
            )
        if method == "GET":
            items = self.store.list_objects(spec, api.namespace, Selector.from_params(params))
            if tables.wants_table(self._header(request, "accept")):
                revision = str(self.store.revision)
                return _json(tables.table(self.registry, spec, items, params, revision))
            return _json(self._list_body(spec, items))
        if method == "POST":
            warnings = fieldvalidation.check(self.registry, spec, request.data, params)
            created = self.store.create(spec, api.namespace, request.data)
            return _json(created, 201, warnings)
        if method == "DELETE":
            selector = Selector.from_params(params)
            deleted = [
                self.store.delete(spec, obj["metadata"].get("namespace"), obj["metadata"]["name"])
                for obj in self.store.list_objects(spec, api.namespace, selector)
            ]
            return _json(self._list_body(spec, deleted))
        raise errors.method_not_allowed(f"{method} is not supported on {spec.describe()}")

    async def _serve_object(
        self, request: kmock.Request, method: str, spec: ResourceSpec, api: ApiPath, name: str
    ) -> aiohttp.web.StreamResponse:
        store, namespace, sub = self.store, api.namespace, api.subresource
        if method == "GET" and request.params.get("watch") in ("true", "1"):
            assert request._raw_request is not None
            return await serve_watch(
                request._raw_request,
                store,
                spec,
                namespace,
                name,
                request.params,
                self._watch_render(request, spec),
                lambda: self._cut(spec.plural),
                lambda opened: self.faults.silenced(spec.plural, opened),
            )
        if method == "GET":
            obj = store.get(spec, namespace, name)
            if sub is None and tables.wants_table(self._header(request, "accept")):
                revision = str(obj["metadata"].get("resourceVersion", ""))
                return _json(tables.table(self.registry, spec, [obj], request.params, revision))
            return _json(scale.to_scale(obj) if sub == "scale" else obj)
        if sub == "scale" and method in ("PUT", "PATCH"):
            current = scale.to_scale(store.get(spec, namespace, name))
            wanted = (
                request.data
                if method == "PUT"
                else patching.apply_patch(self._content_type(request), current, request.data)
            )
            replicas = scale.replicas_of(wanted)
            patch = {"spec": {"replicas": replicas}}
            return _json(
                scale.to_scale(store.patch(spec, namespace, name, patching.MERGE_PATCH, patch))
            )
        content_type = self._content_type(request)
        warnings = []
        if method in ("PUT", "PATCH") and sub is None and "json-patch" not in content_type:
            warnings = fieldvalidation.check(self.registry, spec, request.data, request.params)
        if method == "PUT":
            return _json(store.replace(spec, namespace, name, request.data, sub), 200, warnings)
        if method == "PATCH":
            patched = store.patch(spec, namespace, name, content_type, request.data, sub)
            return _json(patched, 200, warnings)
        if method == "DELETE":
            options = dict(request.data) if isinstance(request.data, dict) else {}
            for key in ("propagationPolicy", "orphanDependents"):
                if key in request.params:
                    options.setdefault(key, request.params[key])
            return _json(store.delete(spec, namespace, name, options))
        raise errors.method_not_allowed(f"{method} is not supported on {spec.describe()}/{name}")

    def _cut(self, plural: str) -> dict[str, Any] | None:
        fault = self.faults.pick("watch", plural)
        return None if fault is None else fault.to_status()

    @staticmethod
    def _header(request: kmock.Request, name: str) -> str:
        for key, value in request.headers.items():
            if key.lower() == name:
                return str(value)
        return ""

    @classmethod
    def _content_type(cls, request: kmock.Request) -> str:
        return cls._header(request, "content-type") or patching.MERGE_PATCH

    def _watch_render(
        self, request: kmock.Request, spec: ResourceSpec
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """How each watched object is sent: as itself, or as a one-row Table for kubectl get -w."""
        if not tables.wants_table(self._header(request, "accept")):
            return lambda obj: ObjectStore.present(spec, obj)

        def as_table(obj: dict[str, Any]) -> dict[str, Any]:
            shown = ObjectStore.present(spec, obj)
            revision = str(obj.get("metadata", {}).get("resourceVersion", ""))
            return tables.table(self.registry, spec, [shown], request.params, revision)

        return as_table

    def _list_body(self, spec: ResourceSpec, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "apiVersion": spec.api_version,
            "kind": f"{spec.kind}List",
            "metadata": {"resourceVersion": str(self.store.revision)},
            "items": items,
        }
