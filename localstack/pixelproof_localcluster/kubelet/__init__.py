"""A stand-in "local kubelet": minimal controllers for what cannot run here.

There are no nodes, container runtimes or controller-managers on this machine.
These controllers fake just enough of them for an operator to observe realistic
status: Deployments report ready replicas (or are held unready on request, or run as a
local process when their image maps to a command), and Jobs
run their pod through a pluggable ``JobRunner`` (a local subprocess, or a test's
function) whose outcome becomes the Pod's container state and the Job's conditions.
"""

from pixelproof_localcluster.kubelet.deployment_processes import LocalProcessDeployments
from pixelproof_localcluster.kubelet.deployments import (
    HOLD_UNREADY_ANNOTATION,
    READY_AFTER_ANNOTATION,
    DeploymentController,
)
from pixelproof_localcluster.kubelet.jobs import JobController
from pixelproof_localcluster.kubelet.local_process import LocalProcessJobRunner
from pixelproof_localcluster.kubelet.outcomes import (
    JobRunner,
    PodOutcome,
    Terminated,
    Unschedulable,
    Waiting,
)

__all__ = [
    "HOLD_UNREADY_ANNOTATION",
    "READY_AFTER_ANNOTATION",
    "DeploymentController",
    "JobController",
    "JobRunner",
    "LocalProcessDeployments",
    "LocalProcessJobRunner",
    "PodOutcome",
    "Terminated",
    "Unschedulable",
    "Waiting",
]
