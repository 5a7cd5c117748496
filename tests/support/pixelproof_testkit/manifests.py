"""Objects of a namespace a ModelRollout steers: generator Deployments and Services, the
route, the golden set, and the rollout itself."""

from __future__ import annotations

from typing import Any

from .kube import CONFIGMAPS, DEPLOYMENTS, HTTPROUTES, NS, SERVICES, VIRTUALSERVICES, Kube


def deployment(name: str, replicas: int, app: str = "poster-gen") -> dict[str, Any]:
    labels = {"app": app, "version": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "generator", "image": f"gen:{name}"}]},
            },
        },
    }


def service(name: str, selector: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def httproute(name: str = "poster-gen") -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "parentRefs": [{"name": "public-gateway"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/generate"}}],
                    "backendRefs": [
                        {"name": "poster-stable", "port": 80, "weight": 100},
                        {"name": "poster-candidate", "port": 80, "weight": 0},
                    ],
                }
            ],
        },
    }


def virtualservice(name: str = "poster-gen") -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "hosts": ["poster-gen.imagegen.svc.cluster.local"],
            "http": [
                {
                    "name": "primary",
                    "route": [
                        {
                            "destination": {"host": "poster-stable.imagegen.svc.cluster.local"},
                            "weight": 100,
                        },
                        {"destination": {"host": "poster-candidate"}, "weight": 0},
                    ],
                }
            ],
        },
    }


def create_namespace(kube: Kube, name: str = NS) -> None:
    kube.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )


def seed_namespace(kube: Kube, router: str = "gatewayAPI", *, route: bool = True) -> None:
    create_namespace(kube)
    stable_replicas = 4 if router == "replicas" else 3
    kube.create(DEPLOYMENTS, deployment("poster-v1", stable_replicas))
    kube.create(DEPLOYMENTS, deployment("poster-v2", 0))
    if router == "replicas":
        kube.create(SERVICES, service("poster-stable", {"app": "poster-gen"}))
        kube.create(SERVICES, service("poster-candidate", {"version": "poster-v2"}))
    else:
        kube.create(SERVICES, service("poster-stable", {"version": "poster-v1"}))
        kube.create(SERVICES, service("poster-candidate", {"version": "poster-v2"}))
    kube.create(
        CONFIGMAPS,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "poster-golden", "namespace": NS},
            "data": {"golden.yaml": "items: []\n"},
        },
    )
    if route and router == "gatewayAPI":
        kube.create(HTTPROUTES, httproute())
    if route and router == "istio":
        kube.create(VIRTUALSERVICES, virtualservice())


EVALUATED_STEPS = [
    {"setWeight": 10},
    {"evaluate": {}},
    {"setWeight": 50},
    {"pause": {"duration": "1s"}},
    {"setWeight": 100},
]
"""Every step kind and an evaluation: the rollout the process-level tests run."""

TRAFFIC = {
    "gatewayAPI": {"gatewayAPI": {"httpRoute": "poster-gen"}},
    "istio": {"istio": {"virtualService": "poster-gen"}},
    "replicas": {"replicas": {"totalReplicas": 4}},
}


def rollout(
    name: str = "poster-gen",
    router: str = "gatewayAPI",
    steps: list[dict[str, Any]] | None = None,
    **spec_extra: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "stable": {"deployment": "poster-v1", "service": "poster-stable"},
        "candidate": {"deployment": "poster-v2", "service": "poster-candidate", "replicas": 2},
        "traffic": TRAFFIC[router],
        "steps": steps
        if steps is not None
        else [
            {"setWeight": 10},
            {"evaluate": {}},
            {"setWeight": 50},
            {"pause": {"duration": "1s"}},
        ],
        "goldenSet": {"configMap": {"name": "poster-golden"}},
        "evaluator": {
            "image": "registry.example/pixelproof-evaluator:0.1.0",
            "resources": {"limits": {"nvidia.com/gpu": 1}},
            "pendingDeadlineSeconds": 10,
            "activeDeadlineSeconds": 60,
        },
        "progressDeadlineSeconds": 120,
    }
    spec.update(spec_extra)
    return {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }
