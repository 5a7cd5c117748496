"""The ModelRollout namespace the operator tests use, and a client with the reads and writes
they repeat."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pixelproof.api.crd import CRD_DIR, DEFAULT_PATH
from pixelproof.controller.events import REASONS_ANNOTATION
from pixelproof.engine.event_folding import PART_SEPARATOR
from pixelproof.kube import KubeClient

from .polling import wait_for

CRD_FILE = DEFAULT_PATH
CRDS = CRD_DIR
"""Every pixelproof CRD: ModelRollout, GateSet and ClusterGateSet."""
NS = "imagegen"
ROLLOUTS = f"/apis/pixelproof.dev/v1alpha1/namespaces/{NS}/modelrollouts"
GATESETS = f"/apis/pixelproof.dev/v1alpha1/namespaces/{NS}/gatesets"
CLUSTERGATESETS = "/apis/pixelproof.dev/v1alpha1/clustergatesets"
HTTPROUTES = f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes"
VIRTUALSERVICES = f"/apis/networking.istio.io/v1/namespaces/{NS}/virtualservices"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NS}/deployments"
SERVICES = f"/api/v1/namespaces/{NS}/services"
CONFIGMAPS = f"/api/v1/namespaces/{NS}/configmaps"
JOBS = f"/apis/batch/v1/namespaces/{NS}/jobs"
EVENTS = f"/api/v1/namespaces/{NS}/events"


class Kube(KubeClient):
    """The shared blocking client, with the reads and writes these tests repeat."""

    def rollout(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"{ROLLOUTS}/{name}")
        return found

    def status(self, name: str) -> dict[str, Any]:
        return (self.get(f"{ROLLOUTS}/{name}") or {}).get("status") or {}

    def annotate(self, name: str, key: str, value: str) -> None:
        self.patch(f"{ROLLOUTS}/{name}", {"metadata": {"annotations": {key: value}}})

    def events(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.list(EVENTS) if e["involvedObject"].get("name") == name]

    def said(self, name: str) -> list[tuple[str, str]]:
        """Each thing the rollout's Events say, with its reason, in the order posted."""
        return said(sorted(self.events(name), key=lambda e: int(e["metadata"]["resourceVersion"])))

    def wait_for_events(
        self, name: str, *reasons: str, timeout: float = 10
    ) -> list[dict[str, Any]]:
        """The rollout's Events once all `reasons` are said in them (kopf posts in the
        background; one Event says all a reconcile did)."""

        def found() -> list[dict[str, Any]] | None:
            events = self.events(name)
            return events if set(reasons) <= {reason for reason, _ in said(events)} else None

        events: list[dict[str, Any]] = wait_for(found, timeout, f"Events {', '.join(reasons)}")
        return events


def said(events: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Each thing `events` say, with its reason: one Event says all a reconcile did."""
    return [part for event in events for part in parts(event)]


def parts(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What one operator Event says, a (reason, message) a part: its message says each
    part in turn, an earlier one headed by its reason, and its annotation names them. An
    Event without the annotation (one kopf posted) is one part."""
    annotations = (event.get("metadata") or {}).get("annotations") or {}
    message = str(event.get("message") or "")
    if REASONS_ANNOTATION not in annotations:
        return [(event["reason"], message)]
    reasons = str(annotations[REASONS_ANNOTATION]).split(",")
    messages = message.split(PART_SEPARATOR)
    assert len(messages) == len(reasons), (reasons, messages)
    last = len(reasons) - 1
    return [
        (reason, message if i == last else message.removeprefix(f"{reason}: "))
        for i, (reason, message) in enumerate(zip(reasons, messages, strict=True))
    ]
