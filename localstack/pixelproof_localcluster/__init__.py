"""A local Kubernetes API server (built on kmock) with a stand-in kubelet.

It serves built-in kinds and CRDs with Kubernetes write semantics (resourceVersion,
409 conflicts, generation, status subresources, finalizers, garbage collection,
selectors, resumable watches), so kopf operators and the ``kubernetes`` client run
against it unmodified. kubectl works too: server-side Tables from the CRDs' printer
columns, OpenAPI v3 for ``kubectl explain`` and validated ``kubectl apply``; bodies are
JSON only. See ``LocalCluster`` for the entry point.
"""

from pixelproof.api.evaluator_invocation import TERMINATION_LOG_ENV
from pixelproof_localcluster.admission import Validator, Validators
from pixelproof_localcluster.apiserver import LocalApiServer
from pixelproof_localcluster.cluster import BUNDLED_CRDS, LocalCluster
from pixelproof_localcluster.kubelet import (
    HOLD_UNREADY_ANNOTATION,
    READY_AFTER_ANNOTATION,
    JobRunner,
    LocalProcessDeployments,
    LocalProcessJobRunner,
    PodOutcome,
    Terminated,
    Unschedulable,
    Waiting,
)

__all__ = [
    "BUNDLED_CRDS",
    "HOLD_UNREADY_ANNOTATION",
    "READY_AFTER_ANNOTATION",
    "TERMINATION_LOG_ENV",
    "JobRunner",
    "LocalApiServer",
    "LocalCluster",
    "LocalProcessDeployments",
    "LocalProcessJobRunner",
    "PodOutcome",
    "Terminated",
    "Unschedulable",
    "Validator",
    "Validators",
    "Waiting",
]
