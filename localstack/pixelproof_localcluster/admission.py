"""Admission: defaulting that the real API server does for built-in kinds, and validators.

Validators are keyed by (group, plural); each returns a list of error messages for the
object as it would be stored. A non-empty list rejects the write with 422 Invalid.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from pixelproof_localcluster import resources

Validator = Callable[[dict[str, Any]], list[str]]
Validators = Mapping[tuple[str, str], Validator]
Mutator = Callable[[dict[str, Any], dict[str, Any] | None], None]

_cluster_ips = itertools.count(1)


def _default_deployment(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault(
        "strategy",
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
    )


def _default_job(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completions", 1)
    spec.setdefault("parallelism", 1)
    if old is None:
        # The Job controller selects its pods by the Job's uid; the labels carry it to the pods.
        meta = obj["metadata"]
        identity = {
            "controller-uid": meta["uid"],
            "job-name": meta["name"],
            "batch.kubernetes.io/controller-uid": meta["uid"],
            "batch.kubernetes.io/job-name": meta["name"],
        }
        template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
        template_meta.setdefault("labels", {}).update(identity)
        spec.setdefault("selector", {"matchLabels": {"controller-uid": meta["uid"]}})


def _default_pod(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    if old is None:
        obj.setdefault("status", {}).setdefault("phase", "Pending")
    spec = obj.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    for container in spec.get("containers") or []:
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")


def _default_service(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    if old is not None and "clusterIP" in (old.get("spec") or {}):
        spec["clusterIP"] = old["spec"]["clusterIP"]
    elif spec.get("clusterIP") is None:
        number = next(_cluster_ips)
        spec["clusterIP"] = f"10.96.{number // 250}.{number % 250 + 1}"


def _default_namespace(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    obj.setdefault("status", {}).setdefault("phase", "Active")


def _default_crd(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    names = (obj.get("spec") or {}).get("names") or {}
    obj["status"] = {
        "acceptedNames": names,
        "storedVersions": [
            v["name"] for v in (obj.get("spec") or {}).get("versions") or [] if v.get("storage")
        ],
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
    }


def _validate_crd(obj: dict[str, Any]) -> list[str]:
    try:
        resources.specs_from_crd(obj)
    except resources.InvalidCustomResourceDefinition as exc:
        return [str(exc)]
    expected = f"{obj['spec']['names']['plural']}.{obj['spec']['group']}"
    if obj["metadata"]["name"] != expected:
        return [
            f"metadata.name: Invalid value: {obj['metadata']['name']!r}: "
            f'must be spec.names.plural+"."+spec.group ({expected!r})'
        ]
    return []


MUTATORS: dict[tuple[str, str], Mutator] = {
    ("apps", "deployments"): _default_deployment,
    ("batch", "jobs"): _default_job,
    ("", "pods"): _default_pod,
    ("", "services"): _default_service,
    ("", "namespaces"): _default_namespace,
    (resources.CRD_GROUP, resources.CRD_PLURAL): _default_crd,
}

BUILTIN_VALIDATORS: dict[tuple[str, str], Validator] = {
    (resources.CRD_GROUP, resources.CRD_PLURAL): _validate_crd,
}
