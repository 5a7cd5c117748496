"""KServe, serverless mode: the candidate's share is the InferenceService predictor's
spec.predictor.canaryTrafficPercent.

KServe gives that percentage to the predictor's latest ready revision and the rest to
status.components.predictor.latestRolledoutRevision, the revision last routed 100 % (the
split's `prev` tag). So stable is that previously rolled-out revision and candidate the
latest one; the spec names each by its Deployment, which Knative calls
<revision>-deployment. A write is one integer, refused when KServe would split it between
other revisions than these two, and tested against the resourceVersion it read. Weights
are read only from status.components.predictor.traffic, which Knative reports once the
route carries them: what was written is never taken for what is routed.

Knative's autoscaler sizes each revision, so the candidate's replica count is not pixelproof's
to set, and readiness is the revision's own: the candidate is ready when it is both the
latest created and the latest ready predictor revision and PredictorReady is True."""

from __future__ import annotations

from typing import Any

from pixelproof.api.status import Weights
from pixelproof.engine.observations import RouterReading
from pixelproof.kube import INFERENCESERVICES, KubeApi

from .base import RouterError, shares
from .weighted_object import JsonPatch, WeightedObjectRouter

CANARY_PERCENT_PATH = "/spec/predictor/canaryTrafficPercent"
REVISION_DEPLOYMENT_SUFFIX = "-deployment"
DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
KNATIVE_MODES = ("Knative", "Serverless")
"""Deployment modes with Knative revisions; older KServe releases call Knative mode Serverless."""


def revision_of(deployment: str) -> str | None:
    """The Knative revision whose Deployment this is, or None for another Deployment name."""
    revision = deployment.removesuffix(REVISION_DEPLOYMENT_SUFFIX)
    return revision if revision and revision != deployment else None


def _condition_true(isvc: dict[str, Any], kind: str) -> bool:
    conditions = (isvc.get("status") or {}).get("conditions") or []
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


def _predictor_status(isvc: dict[str, Any]) -> dict[str, Any]:
    components = (isvc.get("status") or {}).get("components") or {}
    found: dict[str, Any] = components.get("predictor") or {}
    return found


class KServeRouter(WeightedObjectRouter):
    resource = INFERENCESERVICES
    kind = "InferenceService"
    owns_candidate_replicas = True

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        inference_service: str,
        stable_deployment: str,
        candidate_deployment: str,
    ) -> None:
        stable, candidate = revision_of(stable_deployment), revision_of(candidate_deployment)
        super().__init__(
            api,
            namespace,
            inference_service,
            stable or stable_deployment,
            candidate or candidate_deployment,
        )
        misnamed = [
            f"{role}.deployment {name} is not a Knative revision's Deployment "
            f"(<revision>{REVISION_DEPLOYMENT_SUFFIX})"
            for role, name, revision in (
                ("stable", stable_deployment, stable),
                ("candidate", candidate_deployment, candidate),
            )
            if revision is None
        ]
        self._misnamed = f"{self._what}: {'; '.join(misnamed)}" if misnamed else None

    def _serverless(self, isvc: dict[str, Any]) -> dict[str, Any]:
        """The predictor's status, once KServe reports a traffic split for it."""
        if self._misnamed is not None:
            raise RouterError(self._misnamed)
        annotations = isvc["metadata"].get("annotations") or {}
        mode = (isvc.get("status") or {}).get("deploymentMode") or annotations.get(
            DEPLOYMENT_MODE_ANNOTATION
        )
        if mode is not None and mode not in KNATIVE_MODES:
            raise RouterError(
                f"{self._what} runs in {mode} mode: canaryTrafficPercent splits traffic "
                "between predictor revisions only in Knative (Serverless) mode"
            )
        predictor = _predictor_status(isvc)
        if not predictor.get("traffic"):
            # The cluster's default mode may be Standard (raw Deployments), which reports none.
            raise RouterError(
                f"{self._what} reports no predictor traffic (status.components.predictor."
                "traffic is empty): not reconciled yet, or not in Knative mode"
            )
        return predictor

    def _moved_on(self, predictor: dict[str, Any]) -> str | None:
        latest = predictor.get("latestCreatedRevision")
        if latest in (None, self.stable, self.candidate):
            return None
        return (
            f"{self._what}: its latest predictor revision is {latest}, not the candidate "
            f"revision {self.candidate}; canaryTrafficPercent would route to {latest}"
        )

    async def read_weights(self) -> RouterReading:
        try:
            isvc = await self._get()
            predictor = self._serverless(isvc)
        except RouterError as exc:
            return RouterReading(error=str(exc))
        latest_ready = predictor.get("latestReadyRevision")
        routed = {self.stable: 0, self.candidate: 0}
        others = 0
        for target in predictor["traffic"]:
            revision = target.get("revisionName") or (
                latest_ready if target.get("latestRevision") else None
            )
            percent = int(target.get("percent") or 0)
            if revision in routed:
                routed[revision] += percent
            else:
                others += percent
        ready = (
            predictor.get("latestCreatedRevision") == self.candidate
            and latest_ready == self.candidate
            and _condition_true(isvc, "PredictorReady")
        )
        return RouterReading(
            weights=shares(routed[self.stable], routed[self.candidate], others),
            error=self._moved_on(predictor),
            candidate_ready=ready,
        )

    def _refuse_wrong_split(self, predictor: dict[str, Any], candidate_weight: int) -> None:
        """Taking all traffic from the latest revision is always safe; any other share must
        land on the candidate, and its remainder on stable."""
        if candidate_weight == 0:
            return
        if self._misnamed is not None:
            raise RouterError(self._misnamed)
        latest = predictor.get("latestCreatedRevision")
        if latest != self.candidate:
            raise RouterError(
                f"{self._what}: the candidate revision {self.candidate} is not its latest "
                f"predictor revision ({latest or 'none yet'}), which canaryTrafficPercent routes to"
            )
        rolled_out = predictor.get("latestRolledoutRevision")
        if candidate_weight < 100 and rolled_out != self.stable:
            raise RouterError(
                f"{self._what}: KServe routes the rest of the traffic to its "
                f"latestRolledoutRevision ({rolled_out or 'none yet'}), not the stable "
                f"revision {self.stable}"
            )

    async def set_weights(self, weights: Weights) -> None:
        def percent_op(isvc: dict[str, Any]) -> JsonPatch:
            self._refuse_wrong_split(_predictor_status(isvc), weights.candidate)
            return [{"op": "add", "path": CANARY_PERCENT_PATH, "value": weights.candidate}]

        await self._write(percent_op)
