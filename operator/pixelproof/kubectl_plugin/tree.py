"""`kubectl pixelproof get NAME`: the rollout and what it owns and touches, as a tree.

The rollout at the root; under it the traffic route, the stable and candidate
Deployments with their pods, and the evaluator Jobs with theirs. Each line carries a
status symbol (see style.py), as `kubectl argo rollouts get rollout` does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pixelproof.api.status import TERMINAL_PHASES
from pixelproof.evaluation.job import ROLLOUT_LABEL, rollout_label
from pixelproof.kube import DEPLOYMENTS, HTTPROUTES, JOBS, PODS, VIRTUALSERVICES, Resource

from .errors import PluginError
from .kube import Target
from .render import age, display_phase, mirror_text, step_position, weights_text
from .style import (
    DEGRADED,
    HEALTHY,
    PAUSED,
    PROGRESSING,
    STALLED,
    UNKNOWN,
    Style,
    visible_width,
)
from .traffic_policies import traffic_policy_lines


@dataclass
class Node:
    name: str
    kind: str
    health: str
    status: str
    age: str = ""
    info: str = ""
    children: list[Node] = field(default_factory=list)


def rollout_health(obj: Mapping[str, Any]) -> str:
    phase = display_phase(obj)
    if phase == "Succeeded":
        return HEALTHY
    if phase in TERMINAL_PHASES:
        return DEGRADED
    if phase == "Stalled":
        return STALLED
    return PAUSED if phase == "Paused" else PROGRESSING


def _pod_node(pod: Mapping[str, Any], now: datetime) -> Node:
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    ready = sum(1 for c in containers if c.get("ready"))
    total = len((pod.get("spec") or {}).get("containers") or []) or len(containers)
    phase = str(status.get("phase") or "Unknown")
    waiting = [
        str(((c.get("state") or {}).get("waiting") or {}).get("reason"))
        for c in containers
        if ((c.get("state") or {}).get("waiting") or {}).get("reason")
    ]
    if phase == "Succeeded":
        health, shown = HEALTHY, "Completed"
    elif phase == "Failed" or any(w.endswith("BackOff") or "Err" in w for w in waiting):
        health, shown = DEGRADED, waiting[0] if waiting else phase
    elif phase == "Running" and ready == total:
        health, shown = HEALTHY, "Running"
    else:
        health, shown = PROGRESSING, waiting[0] if waiting else phase
    restarts = sum(int(c.get("restartCount", 0)) for c in containers)
    info = f"ready:{ready}/{total}" + (f",restarts:{restarts}" if restarts else "")
    meta = pod["metadata"]
    return Node(meta["name"], "Pod", health, shown, age(meta.get("creationTimestamp"), now), info)


def _selector(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def _unreadable(name: str, kind: str, exc: PluginError) -> Node:
    """A part of the tree the user may not read (RBAC) still shows, with the reason."""
    return Node(name, kind, UNKNOWN, "Unknown", info=str(exc))


def _pods(target: Target, labels: Mapping[str, str], now: datetime) -> list[Node]:
    try:
        pods = target.list_of(PODS, _selector(labels)) if labels else []
    except PluginError as exc:
        return [_unreadable("pods", "Pod", exc)]
    return [_pod_node(p, now) for p in sorted(pods, key=lambda p: p["metadata"]["name"])]


def _deployment_node(target: Target, name: str, role: str, now: datetime) -> Node:
    try:
        found = target.read(DEPLOYMENTS, name)
    except PluginError as exc:
        return _unreadable(name, "Deployment", exc)
    if found is None:
        return Node(name, "Deployment", DEGRADED, "Missing", info=role)
    wanted = int((found.get("spec") or {}).get("replicas", 1))
    ready = int((found.get("status") or {}).get("readyReplicas", 0))
    health = HEALTHY if ready >= wanted else PROGRESSING
    node = Node(
        name,
        "Deployment",
        health,
        "Healthy" if health == HEALTHY else "Progressing",
        age(found["metadata"].get("creationTimestamp"), now),
        f"{role}, ready:{ready}/{wanted}",
    )
    labels = ((found.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    node.children = _pods(target, labels, now)
    return node


def _route_weights(kind: str, route: Mapping[str, Any], spec: Mapping[str, Any]) -> str:
    services = {
        (spec.get("stable") or {}).get("service"): "stable",
        (spec.get("candidate") or {}).get("service"): "candidate",
    }
    weights: dict[str, int] = {}
    body = route.get("spec") or {}
    # Rules and routes pixelproof adds for canary headers and sessions carry no weights.
    if kind == "HTTPRoute":
        for rule in body.get("rules") or []:
            if str(rule.get("name", "")).startswith("pixelproof-"):
                continue
            for ref in rule.get("backendRefs") or []:
                if ref.get("name") in services:
                    weights[services[ref["name"]]] = int(ref.get("weight", 1))
    else:
        for http in body.get("http") or []:
            if str(http.get("name", "")).startswith("pixelproof-"):
                continue
            for dest in http.get("route") or []:
                host = str((dest.get("destination") or {}).get("host", "")).split(".")[0]
                if host in services:
                    weights[services[host]] = int(dest.get("weight", 0))
    if not weights:
        return "no pixelproof backends"
    return f"stable {weights.get('stable', 0)} / candidate {weights.get('candidate', 0)}"


def _route_node(target: Target, spec: Mapping[str, Any], now: datetime) -> Node | None:
    traffic = spec.get("traffic") or {}
    routes: dict[str, tuple[str, Resource]] = {
        "gatewayAPI": ("httpRoute", HTTPROUTES),
        "istio": ("virtualService", VIRTUALSERVICES),
    }
    for router, (key, resource) in routes.items():
        name = (traffic.get(router) or {}).get(key)
        if not name:
            continue
        kind = "HTTPRoute" if resource is HTTPROUTES else "VirtualService"
        try:
            found = target.read(resource, name)
        except PluginError as exc:
            return _unreadable(name, kind, exc)
        if found is None:
            return Node(name, kind, DEGRADED, "Missing")
        created = found["metadata"].get("creationTimestamp")
        weights = _route_weights(kind, found, spec)
        return Node(name, kind, HEALTHY, "Healthy", age(created, now), weights)
    return None


def _job_node(
    job: Mapping[str, Any], evaluation: Mapping[str, Any], target: Target, now: datetime
) -> Node:
    status = job.get("status") or {}
    true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
    if "Complete" in true:
        health, shown = HEALTHY, "Successful"
    elif "Failed" in true:
        health, shown = DEGRADED, "Failed"
    else:
        health, shown = PROGRESSING, "Running"
    meta = job["metadata"]
    labels = meta.get("labels") or {}
    info = f"step {int(labels.get('pixelproof.dev/step', 0)) + 1}, attempt {labels.get('pixelproof.dev/attempt', '1')}"
    # The Job succeeds when the evaluator ran to the end; the verdict is the evaluation's.
    if evaluation.get("job") == meta["name"] and evaluation.get("state"):
        info += f", verdict {evaluation['state']}"
    node = Node(meta["name"], "Job", health, shown, age(meta.get("creationTimestamp"), now), info)
    node.children = _pods(target, {"job-name": meta["name"]}, now)
    return node


def rollout_tree(target: Target, obj: Mapping[str, Any], now: datetime) -> Node:
    meta, spec = obj["metadata"], obj.get("spec") or {}
    status = obj.get("status") or {}
    root = Node(
        meta["name"],
        "ModelRollout",
        rollout_health(obj),
        display_phase(obj),
        age(meta.get("creationTimestamp"), now),
        f"step {step_position(obj)}, weights {weights_text(status.get('weights'))}",
    )
    route = _route_node(target, spec, now)
    if route is not None:
        root.children.append(route)
    for role in ("stable", "candidate"):
        name = (spec.get(role) or {}).get("deployment")
        if name:
            root.children.append(_deployment_node(target, name, role, now))
    try:
        jobs = target.list_of(JOBS, f"{ROLLOUT_LABEL}={rollout_label(meta['name'])}")
    except PluginError as exc:
        root.children.append(_unreadable("evaluator jobs", "Job", exc))
        return root
    for job in sorted(jobs, key=lambda j: str(j["metadata"].get("creationTimestamp", ""))):
        root.children.append(_job_node(job, status.get("lastEvaluation") or {}, target, now))
    return root


def _lines(node: Node, lead: str, child_lead: str) -> list[tuple[str, Node]]:
    lines = [(lead, node)]
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        lines += _lines(
            child, child_lead + ("└──" if last else "├──"), child_lead + ("   " if last else "│  ")
        )
    return lines


def render_tree(root: Node, style: Style, ages: bool = True) -> str:
    """The tree as a table; without `ages`, the AGE column is blank (for telling whether
    anything but time changed)."""
    rows: list[Sequence[str]] = [["NAME", "KIND", "STATUS", "AGE", "INFO"]]
    for lead, node in _lines(root, "", ""):
        rows.append(
            [
                f"{lead}{node.name}",
                node.kind,
                style.health(node.health, node.status),
                node.age if ages else "",
                node.info,
            ]
        )
    widths = [max(visible_width(row[i]) for row in rows) for i in range(4)]
    out = []
    for row in rows:
        cells = [cell + " " * (widths[i] - visible_width(cell)) for i, cell in enumerate(row[:4])]
        out.append("  ".join([*cells, row[4]]).rstrip())
    return "\n".join(out)


def rollout_header(obj: Mapping[str, Any], style: Style) -> list[str]:
    """The summary above the tree: what a person asks first."""
    meta, status = obj["metadata"], obj.get("status") or {}
    stalled = next(
        (
            c
            for c in status.get("conditions") or []
            if c.get("type") == "Stalled" and c.get("status") == "True"
        ),
        None,
    )
    phase = display_phase(obj)
    lines = [
        f"Name:          {meta['name']}",
        f"Namespace:     {meta.get('namespace', '')}",
        f"Status:        {style.health(rollout_health(obj), phase)}"
        + (f" ({stalled.get('reason')})" if stalled and phase == "Stalled" else ""),
    ]
    reason = status.get("rollbackReason")
    message = reason or status.get("message")
    if message:
        lines.append(f"{'Rolled back:' if reason else 'Message:':<15}{message}")
    lines.append(f"Step:          {step_position(obj)}")
    declared = status.get("weights") or {"stable": 100, "candidate": 0}
    verified = status.get("verifiedWeights")
    check = " (verified)" if verified == declared else " (not verified yet)"
    lines.append(
        f"Weights:       stable {declared.get('stable', 0)} / candidate "
        f"{declared.get('candidate', 0)}{check}"
    )
    mirror = mirror_text(obj.get("spec") or {}, status)
    if mirror is not None:
        lines.append(f"Mirror:        {mirror}")
    lines += traffic_policy_lines(obj.get("spec") or {}, status, width=15)
    evaluation = status.get("lastEvaluation") or {}
    verdict = evaluation.get("state")
    lines.append(
        f"Last verdict:  {verdict} ({evaluation.get('job', '')})" if verdict else "Last verdict:  -"
    )
    return lines


def tree_views(
    target: Target, obj: Mapping[str, Any], now: datetime, style: Style
) -> tuple[str, str]:
    """The view, and the same without ages: what tells whether more than time changed."""
    header = "\n".join(rollout_header(obj, style))
    root = rollout_tree(target, obj, now)
    return (
        f"{header}\n\n{render_tree(root, style)}",
        f"{header}\n\n{render_tree(root, style, ages=False)}",
    )


def tree_view(target: Target, obj: Mapping[str, Any], now: datetime, style: Style) -> str:
    return tree_views(target, obj, now, style)[0]
