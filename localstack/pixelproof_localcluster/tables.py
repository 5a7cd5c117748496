"""Server-side Table output (meta.k8s.io/v1 Table), which `kubectl get` asks for.

CRDs get their additionalPrinterColumns, as the real API server prints them; built-in
kinds get the columns kubectl users know for the kinds the operator touches (Events the
real server's own: Last Seen, Type, Reason, Object, Message), else Name and Age."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pixelproof_localcluster import errors
from pixelproof_localcluster.jsonpath import first_match
from pixelproof_localcluster.resources import ResourceRegistry, ResourceSpec

TABLE_MEDIA = "as=table"
_NAME_COLUMN = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE_COLUMN = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": "CreationTimestamp is when the object was created.",
    "priority": 0,
}

Cell = str | int | float | bool | None
Row = Callable[[Mapping[str, Any], datetime.datetime], list[Cell]]


def wants_table(accept: str) -> bool:
    """True when the Accept header's first choice is a meta.k8s.io Table."""
    first = accept.split(",")[0].replace(" ", "").lower()
    return TABLE_MEDIA in first.split(";") and "g=meta.k8s.io" in first


def human_duration(seconds: float) -> str:
    """apimachinery's HumanDuration, which kubectl shows in AGE columns."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years, rest = days // 365, days % 365
    if hours < 24 * 365 * 8 and rest:
        return f"{years}y{rest}d"
    return f"{years}y"


def age_of(timestamp: Any, now: datetime.datetime) -> str:
    if not isinstance(timestamp, str) or not timestamp:
        return "<unknown>"
    try:
        then = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    if then.tzinfo is None:
        then = then.replace(tzinfo=datetime.UTC)
    return human_duration((now - then).total_seconds())


def _printer_cell(
    column: Mapping[str, Any], obj: Mapping[str, Any], now: datetime.datetime
) -> Cell:
    try:
        value = first_match(obj, str(column.get("jsonPath", "")))
    except ValueError:
        return None
    if value is None:
        return None
    kind = column.get("type")
    if kind == "date":
        return age_of(value, now)
    if kind in ("integer", "number", "boolean") and isinstance(value, int | float | bool):
        return value
    return str(value)


def _printer_columns(columns: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], Row]:
    definitions = [
        {
            "name": str(c["name"]),
            "type": "string" if c.get("type") == "date" else str(c.get("type", "string")),
            "format": str(c.get("format", "")),
            "description": str(c.get("description", "")),
            "priority": int(c.get("priority", 0)),
        }
        for c in columns
    ]

    def row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
        return [_printer_cell(c, obj, now) for c in columns]

    return definitions, row


def _column(name: str, kind: str = "string", description: str = "") -> dict[str, Any]:
    return {"name": name, "type": kind, "format": "", "description": description, "priority": 0}


def _pod_row(pod: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    ready = sum(1 for c in containers if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in containers)
    reason = str(status.get("reason") or status.get("phase") or "Unknown")
    for container in containers:
        state = container.get("state") or {}
        waiting = (state.get("waiting") or {}).get("reason")
        terminated = (state.get("terminated") or {}).get("reason")
        reason = str(waiting or terminated or reason)
    total = len(spec.get("containers") or [])
    return [f"{ready}/{total}", reason, restarts]


def _deployment_row(deployment: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    status = deployment.get("status") or {}
    wanted = (deployment.get("spec") or {}).get("replicas", 1)
    return [
        f"{status.get('readyReplicas', 0)}/{wanted}",
        int(status.get("updatedReplicas", 0)),
        int(status.get("availableReplicas", 0)),
    ]


def _job_row(job: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    status = job.get("status") or {}
    true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
    state = "Complete" if "Complete" in true else "Failed" if "Failed" in true else "Running"
    completions = (job.get("spec") or {}).get("completions", 1)
    return [state, f"{status.get('succeeded', 0)}/{completions}"]


_BUILTIN: dict[tuple[str, str], tuple[list[dict[str, Any]], Row]] = {
    ("", "pods"): (
        [_column("Ready"), _column("Status"), _column("Restarts", "integer")],
        _pod_row,
    ),
    ("apps", "deployments"): (
        [_column("Ready"), _column("Up-to-date", "integer"), _column("Available", "integer")],
        _deployment_row,
    ),
    ("batch", "jobs"): ([_column("Status"), _column("Completions")], _job_row),
}


def _event_row(event: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    meta = event.get("metadata") or {}
    involved = event.get("involvedObject") or {}
    source = event.get("source") or {}
    last = event.get("lastTimestamp") or event.get("eventTime") or meta.get("creationTimestamp")
    return [
        age_of(last, now),
        event.get("type"),
        event.get("reason"),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""),
        ", ".join(str(source[k]) for k in ("component", "host") if source.get(k)),
        event.get("message"),
        age_of(event.get("firstTimestamp") or last, now),
        event.get("count"),
        meta.get("name"),
    ]


def _wide(column: dict[str, Any]) -> dict[str, Any]:
    return {**column, "priority": 1}


# Kinds whose columns the real server prints without its usual Name first and Age last.
_OWN_COLUMNS: dict[tuple[str, str], tuple[list[dict[str, Any]], Row]] = {
    ("", "events"): (
        [
            _column("Last Seen"),
            _column("Type"),
            _column("Reason"),
            _column("Object"),
            _wide(_column("Subobject")),
            _wide(_column("Source")),
            _column("Message"),
            _wide(_column("First Seen")),
            _wide(_column("Count", "integer")),
            _wide(_column("Name")),
        ],
        _event_row,
    ),
}


def _columns_for(
    registry: ResourceRegistry, spec: ResourceSpec
) -> tuple[list[dict[str, Any]], Row]:
    own = _OWN_COLUMNS.get((spec.group, spec.plural))
    if own is not None:
        return own
    version = registry.crd_version(spec)
    if version is not None and version.get("additionalPrinterColumns"):
        definitions, printed = _printer_columns(version["additionalPrinterColumns"])
        return [_NAME_COLUMN, *definitions], lambda obj, now: [
            obj["metadata"]["name"],
            *printed(obj, now),
        ]
    extra, extra_row = _BUILTIN.get((spec.group, spec.plural), ([], lambda obj, now: []))

    def builtin_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
        created = obj["metadata"].get("creationTimestamp")
        return [obj["metadata"]["name"], *extra_row(obj, now), age_of(created, now)]

    return [_NAME_COLUMN, *extra, _AGE_COLUMN], builtin_row


def _row_object(obj: Mapping[str, Any], include: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return dict(obj)
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def table(
    registry: ResourceRegistry,
    spec: ResourceSpec,
    objects: Sequence[Mapping[str, Any]],
    params: Mapping[str, str],
    resource_version: str,
) -> dict[str, Any]:
    """The objects as a Table; `includeObject` (None, Metadata, Object) as the real server."""
    include = params.get("includeObject") or "Metadata"
    if include not in ("None", "Metadata", "Object"):
        raise errors.bad_request(f"includeObject must be None, Metadata or Object, got {include!r}")
    definitions, row = _columns_for(registry, spec)
    now = datetime.datetime.now(datetime.UTC)
    rows = []
    for obj in objects:
        entry: dict[str, Any] = {"cells": row(obj, now)}
        shown = _row_object(obj, include)
        if shown is not None:
            entry["object"] = shown
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }
