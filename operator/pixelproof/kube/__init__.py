"""The Kubernetes client pixelproof shares between the operator, its routers, the kubectl
plugin and the local stack: resources, connection, errors, an async and a blocking client.
It imports nothing else of pixelproof but the error root, so everything may import it."""

from .cache import MISS, ObjectCache, Source, index_keys
from .client import CONTENT_TYPES, KubeApi, PatchKind, RequestObserver
from .credentials import Connection, CredentialsError, load_connection
from .errors import (
    ApiError,
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    api_error,
)
from .resources import (
    BY_KIND,
    CLUSTERGATESETS,
    CONFIGMAPS,
    DEPLOYMENTS,
    EVENTS,
    GATESETS,
    HTTPROUTES,
    INFERENCESERVICES,
    JOBS,
    MODELROLLOUTS,
    NAMESPACES,
    PODS,
    SECRETS,
    SERVICES,
    VIRTUALSERVICES,
    Resource,
)
from .sync import KubeClient

__all__ = [
    "BY_KIND",
    "CLUSTERGATESETS",
    "CONFIGMAPS",
    "CONTENT_TYPES",
    "DEPLOYMENTS",
    "EVENTS",
    "GATESETS",
    "HTTPROUTES",
    "INFERENCESERVICES",
    "JOBS",
    "MISS",
    "MODELROLLOUTS",
    "NAMESPACES",
    "PODS",
    "SECRETS",
    "SERVICES",
    "VIRTUALSERVICES",
    "ApiError",
    "ConflictError",
    "Connection",
    "CredentialsError",
    "ForbiddenError",
    "InvalidError",
    "KubeApi",
    "KubeClient",
    "NotFoundError",
    "ObjectCache",
    "PatchKind",
    "RequestObserver",
    "Resource",
    "Source",
    "api_error",
    "index_keys",
    "load_connection",
]
