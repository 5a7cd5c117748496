"""Every Kubernetes permission the operator needs, as data. The Helm chart's RBAC is
checked against this list, and a test checks that every request the operator (kopf
included) makes is covered by it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    api_group: str
    resource: str
    verbs: tuple[str, ...]
    why: str
    opt_in: str | None = None
    """The chart value that grants it, for a permission only some features need; the
    chart grants the others always."""


PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        "pixelproof.dev",
        "modelrollouts",
        ("get", "list", "watch", "patch"),
        "watch rollouts; kopf keeps its finalizer and bookkeeping annotations",
    ),
    Permission("pixelproof.dev", "modelrollouts/status", ("patch",), "the engine's status"),
    Permission(
        "pixelproof.dev",
        "gatesets",
        ("get", "list", "watch"),
        "gates a rollout lists in spec.gateSets; a changed set reconciles its rollouts",
    ),
    Permission(
        "pixelproof.dev",
        "clustergatesets",
        ("get", "list", "watch"),
        "cluster-wide gate sets a rollout lists in spec.gateSets",
    ),
    Permission(
        "pixelproof.dev",
        "modelrollouts/finalizers",
        ("update",),
        "evaluator Jobs name their rollout as owner with blockOwnerDeletion",
    ),
    Permission(
        "apps",
        "deployments",
        ("get", "list", "watch", "patch", "create", "delete"),
        "candidate readiness (watched); the replicas router sets the candidate's replicas; "
        "the prompt recorder of a rollout with liveTraffic",
    ),
    Permission(
        "apps",
        "deployments/scale",
        ("patch",),
        "candidate capacity; the replicas router and traffic.gpuBudget scale stable",
    ),
    Permission(
        "",
        "services",
        ("get", "list", "watch", "create", "delete"),
        "the stable and candidate Services must exist (watched); the prompt recorder's Service",
    ),
    Permission(
        "",
        "configmaps",
        ("get", "list", "watch"),
        "the golden set ConfigMap must exist; campaign freezes are labelled ConfigMaps (watched)",
    ),
    Permission(
        "",
        "secrets",
        ("get",),
        "a webhook URL from notifications.webhook.secretKeyRef",
        opt_in="rbac.readSecrets",
    ),
    Permission(
        "",
        "pods",
        ("list", "watch"),
        "evaluator pods (watched): termination message, pending reason",
    ),
    Permission(
        "batch", "jobs", ("get", "list", "watch", "create", "delete"), "evaluator Jobs (watched)"
    ),
    Permission("", "events", ("create",), "Events for every transition and gate verdict"),
    Permission(
        "gateway.networking.k8s.io",
        "httproutes",
        ("get", "list", "watch", "patch"),
        "gatewayAPI router: backendRef weights (watched)",
    ),
    Permission(
        "networking.istio.io",
        "virtualservices",
        ("get", "list", "watch", "patch"),
        "istio router: destination weights (watched)",
    ),
    Permission(
        "serving.kserve.io",
        "inferenceservices",
        ("get", "list", "watch", "patch"),
        "kserve router (watched): the predictor's canaryTrafficPercent, its revisions and "
        "traffic status",
    ),
    Permission(
        "kopf.dev",
        "kopfpeerings",
        ("get", "list", "watch", "patch"),
        "peering between operator replicas watching namespaces",
    ),
    Permission(
        "kopf.dev",
        "clusterkopfpeerings",
        ("get", "list", "watch", "patch"),
        "peering between operator replicas watching all namespaces",
    ),
    Permission(
        "",
        "namespaces",
        ("list", "watch"),
        "kopf follows namespaces matching the --namespace patterns",
    ),
    Permission(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        ("list", "watch"),
        "kopf discovers the ModelRollout and peering resources",
    ),
)

CLUSTER_SCOPED = frozenset(
    {"clusterkopfpeerings", "clustergatesets", "namespaces", "customresourcedefinitions"}
)
"""Resources that need a ClusterRole whatever namespaces the operator watches."""


def allows(api_group: str, resource: str, verb: str) -> bool:
    return any(
        p.api_group == api_group and p.resource == resource and verb in p.verbs for p in PERMISSIONS
    )
