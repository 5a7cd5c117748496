"""The Kubernetes resources pixelproof reads and writes, and their URL paths."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(
        self, namespace: str | None = None, name: str | None = None, sub: str | None = None
    ) -> str:
        """The object's path; the collection without `name`, across namespaces without `namespace`."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace)}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name)}"
        if sub is not None:
            base += f"/{sub}"
        return base


NAMESPACES = Resource("", "v1", "namespaces", namespaced=False)
DEPLOYMENTS = Resource("apps", "v1", "deployments")
SERVICES = Resource("", "v1", "services")
CONFIGMAPS = Resource("", "v1", "configmaps")
SECRETS = Resource("", "v1", "secrets")
PODS = Resource("", "v1", "pods")
EVENTS = Resource("", "v1", "events")
JOBS = Resource("batch", "v1", "jobs")
HTTPROUTES = Resource("gateway.networking.k8s.io", "v1", "httproutes")
VIRTUALSERVICES = Resource("networking.istio.io", "v1beta1", "virtualservices")
INFERENCESERVICES = Resource("serving.kserve.io", "v1beta1", "inferenceservices")
MODELROLLOUTS = Resource("pixelproof.dev", "v1alpha1", "modelrollouts")
GATESETS = Resource("pixelproof.dev", "v1alpha1", "gatesets")
CLUSTERGATESETS = Resource("pixelproof.dev", "v1alpha1", "clustergatesets", namespaced=False)

BY_KIND: dict[str, Resource] = {
    "Namespace": NAMESPACES,
    "Deployment": DEPLOYMENTS,
    "Service": SERVICES,
    "ConfigMap": CONFIGMAPS,
    "Secret": SECRETS,
    "Pod": PODS,
    "Event": EVENTS,
    "Job": JOBS,
    "HTTPRoute": HTTPROUTES,
    "VirtualService": VIRTUALSERVICES,
    "InferenceService": INFERENCESERVICES,
    "ModelRollout": MODELROLLOUTS,
    "GateSet": GATESETS,
    "ClusterGateSet": CLUSTERGATESETS,
}
