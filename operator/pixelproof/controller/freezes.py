"""Campaign freezes and the promoter: what the operator reads for the engine's windows
and review steps.

A campaign freeze is a ConfigMap labelled pixelproof.dev/freeze=true whose data has
`start`, `end` (RFC 3339) and optionally `reason`. In a rollout's namespace it freezes
that namespace's rollouts; in the operator's freeze namespace it freezes them all. A
labelled ConfigMap rather than a custom resource: freezing takes only kubectl and the
RBAC people already have for ConfigMaps, with no second CRD to install and upgrade."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from pixelproof.api.commands import annotation_for
from pixelproof.api.review import PROMOTE_BY_ANNOTATION
from pixelproof.api.windows import FREEZE_LABEL, Freeze
from pixelproof.engine.observations import CampaignFreeze
from pixelproof.kube import CONFIGMAPS, ApiError, KubeApi


async def campaign_freezes(
    api: KubeApi, namespace: str, cluster_namespace: str | None
) -> tuple[CampaignFreeze, ...]:
    namespaces = dict.fromkeys(n for n in (namespace, cluster_namespace) if n)
    found: list[CampaignFreeze] = []
    for where in namespaces:
        try:
            config_maps = await api.list(CONFIGMAPS, where, label_selector=f"{FREEZE_LABEL}=true")
        except ApiError as exc:
            if exc.code == 404:
                continue
            # Unknown freezes hold traffic, but the reconcile goes on: gates keep judging
            # and a rollback still happens.
            found.append(CampaignFreeze(f"{where}/*", problem=f"cannot list freezes: {exc}"))
            continue
        found.extend(read_freeze(config_map) for config_map in config_maps)
    return tuple(found)


def read_freeze(config_map: Mapping[str, Any]) -> CampaignFreeze:
    meta = config_map.get("metadata") or {}
    source = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    data = config_map.get("data") or {}
    try:
        freeze = Freeze.model_validate(
            {k: data[k] for k in ("start", "end", "reason") if k in data}
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(["data", *(str(p) for p in err["loc"])])
        return CampaignFreeze(source, problem=f"{where}: {err['msg']}")
    return CampaignFreeze(source, freeze.start, freeze.end, freeze.reason)


def promoted_by(meta: Mapping[str, Any]) -> str | None:
    """Who promoted: the promote-by annotation when set, else the field manager that last
    wrote the promote annotation (a client's name, not a person's)."""
    annotations = meta.get("annotations") or {}
    if annotations.get(PROMOTE_BY_ANNOTATION):
        return str(annotations[PROMOTE_BY_ANNOTATION])
    field = "f:" + annotation_for("promote")
    writers = [
        entry
        for entry in meta.get("managedFields") or []
        if field
        in (((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:annotations") or {})
    ]
    if not writers:
        return None
    latest = max(writers, key=lambda entry: str(entry.get("time") or ""))
    manager = latest.get("manager")
    return str(manager) if manager else None
