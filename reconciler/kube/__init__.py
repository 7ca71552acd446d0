"""Kubernetes helpers for reconcile functions, on plain JSON dicts.

Objects are the dicts the API server sends, never the official client's model classes (slow,
and lossy for custom resources). :mod:`.client` carries raw JSON over the official
``ApiClient`` (so kubeconfig, in-cluster config and TLS behave as usual) and resolves kinds by
discovery; :mod:`.errors` holds the error branch and its predicates.
"""

from reconciler.kube.client import KubeClient, PatchKind
from reconciler.kube.errors import (
    ApiError,
    ApiUnavailableError,
    InvalidRequestError,
    KubeError,
    UnknownKindError,
    is_already_exists,
    is_conflict,
    is_not_found,
)
from reconciler.kube.refs import ResourceRef

__all__ = [
    "ApiError",
    "ApiUnavailableError",
    "InvalidRequestError",
    "KubeClient",
    "KubeError",
    "PatchKind",
    "ResourceRef",
    "UnknownKindError",
    "is_already_exists",
    "is_conflict",
    "is_not_found",
]
