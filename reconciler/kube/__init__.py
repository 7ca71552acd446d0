"""Kubernetes helpers for reconcile functions, on plain JSON dicts.

Objects are the dicts the API server sends, never the official client's model classes (slow,
and lossy for custom resources). :mod:`.client` carries raw JSON over the official
``ApiClient`` (so kubeconfig, in-cluster config and TLS behave as usual) and resolves kinds by
discovery; :mod:`.errors` holds the error branch and its predicates; :mod:`.apply` makes an
object match a desired one (``create_or_update``, with owner references).
"""

from reconciler.kube.apply import Outcome, create_or_update, set_controller_reference
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
    "Outcome",
    "PatchKind",
    "ResourceRef",
    "UnknownKindError",
    "create_or_update",
    "is_already_exists",
    "is_conflict",
    "is_not_found",
    "set_controller_reference",
]
