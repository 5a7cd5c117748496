"""What the local API server serves: built-in kinds and kinds registered from CRDs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclasses.dataclass(frozen=True)
class ResourceSpec:
    """One served group/version/plural with the facts discovery and storage need."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """All versions of one group/plural share one storage, as in a real API server."""
        return (self.group, self.plural)

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def describe(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _builtin(
    api_version: str,
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    subresources: Iterable[str] = (),
    short_names: Iterable[str] = (),
) -> ResourceSpec:
    group, _, version = api_version.rpartition("/")
    return ResourceSpec(
        group=group,
        version=version,
        plural=plural,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        short_names=tuple(short_names),
        subresources=frozenset(subresources),
    )


# The built-in kinds the operator, kopf and kubectl touch; everything else comes from CRDs.
BUILTIN_RESOURCES: tuple[ResourceSpec, ...] = (
    _builtin(
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        subresources=["status"],
        short_names=["ns"],
    ),
    _builtin("v1", "pods", "Pod", subresources=["status"], short_names=["po"]),
    _builtin("v1", "services", "Service", subresources=["status"], short_names=["svc"]),
    _builtin("v1", "configmaps", "ConfigMap", short_names=["cm"]),
    _builtin("v1", "secrets", "Secret"),
    _builtin("v1", "serviceaccounts", "ServiceAccount", short_names=["sa"]),
    _builtin("v1", "events", "Event", short_names=["ev"]),
    _builtin(
        "apps/v1",
        "deployments",
        "Deployment",
        subresources=["status", "scale"],
        short_names=["deploy"],
    ),
    _builtin(
        "apps/v1", "replicasets", "ReplicaSet", subresources=["status", "scale"], short_names=["rs"]
    ),
    _builtin("batch/v1", "jobs", "Job", subresources=["status"]),
    _builtin("coordination.k8s.io/v1", "leases", "Lease"),
    _builtin("events.k8s.io/v1", "events", "Event", short_names=["ev"]),
    _builtin(
        "apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        subresources=["status"],
        short_names=["crd", "crds"],
    ),
)

CRD_GROUP = "apiextensions.k8s.io"
CRD_PLURAL = "customresourcedefinitions"


class InvalidCustomResourceDefinition(ValueError):
    """A CRD body lacks what the server needs to serve its kind."""


def specs_from_crd(crd: Mapping[str, Any]) -> list[ResourceSpec]:
    """The served versions of a CustomResourceDefinition, one spec per version."""
    name = crd.get("metadata", {}).get("name", "<unnamed>")
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    if not group or not plural or not kind:
        raise InvalidCustomResourceDefinition(
            f"CustomResourceDefinition {name!r} needs spec.group, spec.names.plural "
            "and spec.names.kind"
        )
    scope = spec.get("scope", "Namespaced")
    if scope not in ("Namespaced", "Cluster"):
        raise InvalidCustomResourceDefinition(
            f"CustomResourceDefinition {name!r} has spec.scope={scope!r}; "
            "expected 'Namespaced' or 'Cluster'"
        )
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not versions:
        raise InvalidCustomResourceDefinition(
            f"CustomResourceDefinition {name!r} serves no versions (spec.versions)"
        )
    return [
        ResourceSpec(
            group=group,
            version=version["name"],
            plural=plural,
            kind=kind,
            namespaced=scope == "Namespaced",
            singular=names.get("singular") or kind.lower(),
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()),
            subresources=frozenset((version.get("subresources") or {}).keys()),
        )
        for version in versions
    ]


class ResourceRegistry:
    """The set of served resources, indexed for URL routing and discovery."""

    def __init__(self, specs: Iterable[ResourceSpec] = BUILTIN_RESOURCES) -> None:
        self._specs: dict[tuple[str, str, str], ResourceSpec] = {}
        self._by_crd: dict[str, list[ResourceSpec]] = {}
        self._crd_versions: dict[tuple[str, str, str], Mapping[str, Any]] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: ResourceSpec) -> None:
        self._specs[(spec.group, spec.version, spec.plural)] = spec

    def add_crd(self, crd: Mapping[str, Any]) -> list[ResourceSpec]:
        specs = specs_from_crd(crd)
        self.remove_crd(crd["metadata"]["name"])
        versions = {v.get("name"): v for v in crd["spec"].get("versions") or []}
        for spec in specs:
            self.add(spec)
            self._crd_versions[(spec.group, spec.version, spec.plural)] = versions[spec.version]
        self._by_crd[crd["metadata"]["name"]] = specs
        return specs

    def remove_crd(self, crd_name: str) -> None:
        for spec in self._by_crd.pop(crd_name, []):
            self._specs.pop((spec.group, spec.version, spec.plural), None)
            self._crd_versions.pop((spec.group, spec.version, spec.plural), None)

    def crd_version(self, spec: ResourceSpec) -> Mapping[str, Any] | None:
        """The CRD's entry in spec.versions that defines this served kind (None for built-ins):
        its schema and printer columns."""
        return self._crd_versions.get((spec.group, spec.version, spec.plural))

    def specs_of_crd(self, crd_name: str) -> list[ResourceSpec]:
        return list(self._by_crd.get(crd_name, []))

    def get(self, group: str, version: str, plural: str) -> ResourceSpec | None:
        return self._specs.get((group, version, plural))

    def find(self, group: str, plural: str) -> ResourceSpec | None:
        """Any served version of a group/plural (for controllers that do not care which)."""
        for spec in self._specs.values():
            if (spec.group, spec.plural) == (group, plural):
                return spec
        return None

    def for_kind(self, api_version: str, kind: str) -> ResourceSpec | None:
        group, _, version = api_version.rpartition("/")
        for spec in self._specs.values():
            if (spec.group, spec.version, spec.kind) == (group, version, kind):
                return spec
        return None

    def group_versions(self) -> dict[str, list[str]]:
        """Versions per group, the preferred (first registered) version first."""
        result: dict[str, list[str]] = {}
        for spec in self._specs.values():
            versions = result.setdefault(spec.group, [])
            if spec.version not in versions:
                versions.append(spec.version)
        return result

    def in_group_version(self, group: str, version: str) -> list[ResourceSpec]:
        return [s for s in self._specs.values() if (s.group, s.version) == (group, version)]

    def __iter__(self) -> Iterator[ResourceSpec]:
        return iter(list(self._specs.values()))
