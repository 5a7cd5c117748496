"""Every request the operator makes, kopf's own included, is covered by the permissions
it declares (the Helm chart's RBAC is checked against the same list)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pixelproof.controller.permissions import allows
from pixelproof_localcluster import LocalCluster, Terminated
from pixelproof_localcluster.routing import parse_api_path
from pixelproof_testkit.kube import NS, ROLLOUTS, Kube
from pixelproof_testkit.manifests import rollout, seed_namespace
from pixelproof_testkit.operators import operator_in_thread
from pixelproof_testkit.polling import wait_for
from pixelproof_testkit.scripted_evaluator import ScriptedEvaluator

TEST_CLIENT = "python-httpx"


def _verb(method: str, named: bool, params: dict[str, str]) -> str:
    if method == "GET":
        if params.get("watch") in ("true", "1"):
            return "watch"
        return "get" if named else "list"
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if named else "deletecollection",
    }[method]


def _requests(cluster: LocalCluster) -> list[tuple[str, str, str]]:
    """(group, resource, verb) of every resource request not made by the test itself."""
    seen = []
    for request in list(cluster.server):
        agent = next((v for k, v in request.headers.items() if k.lower() == "user-agent"), "")
        if agent.startswith(TEST_CLIENT):
            continue
        api = parse_api_path(request.url.path)
        if api is None or api.plural is None:
            continue  # discovery: non-resource URLs every authenticated client may read
        resource = api.plural + (f"/{api.subresource}" if api.subresource else "")
        verb = _verb(str(request.method.value).upper(), api.name is not None, dict(request.params))
        seen.append((api.group, resource, verb))
    return seen


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


def test_every_request_is_covered(
    cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator
) -> None:
    seed_namespace(kube, "replicas")
    kube.create(
        f"/apis/kopf.dev/v1/namespaces/{NS}/kopfpeerings",
        {
            "apiVersion": "kopf.dev/v1",
            "kind": "KopfPeering",
            "metadata": {"name": "pixelproof", "namespace": NS},
        },
    )
    evaluator.script(3, Terminated(1, message="crash"))
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=webhook.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{webhook.server_address[1]}/hook"
    kube.create(
        f"/api/v1/namespaces/{NS}/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "chat-hook", "namespace": NS},
            "data": {"url": base64.b64encode(url.encode()).decode()},
        },
    )
    steps: list[dict[str, Any]] = [
        {"setWeight": 25},
        {"evaluate": {}},
        {"setWeight": 50},
        {"evaluate": {}},
    ]
    notify = {"webhook": {"secretKeyRef": {"name": "chat-hook", "key": "url"}}}
    try:
        with operator_in_thread(cluster, peering="pixelproof"):
            kube.create(ROLLOUTS, rollout(router="replicas", steps=steps, notifications=notify))
            wait_for(lambda: kube.status("poster-gen").get("phase") == "RolledBack", 30, "rollback")
            wait_for(lambda: _Webhook.received, 10, "the RolledBack notification")
            kube.delete(f"{ROLLOUTS}/poster-gen")
            wait_for(lambda: kube.get(f"{ROLLOUTS}/poster-gen") is None, 20, "the deletion")
    finally:
        webhook.shutdown()
    assert "RolledBack" in json.dumps(_Webhook.received[0])
    made = _requests(cluster)
    assert len(list(cluster.server)) < 2000, "request history overflowed: shorten the scenario"
    kinds = {resource for _, resource, _ in made}
    assert {
        "modelrollouts",
        "modelrollouts/status",
        "deployments",
        "deployments/scale",
        "jobs",
        "pods",
        "events",
        "kopfpeerings",
    } <= kinds
    uncovered = sorted({m for m in made if not allows(*m)})
    assert uncovered == []
