"""Kubernetes helpers for reconcile functions, on plain JSON dicts.

Objects are the dicts the API server sends, never the official client's model classes (slow,
and lossy for custom resources). :mod:`.client` carries raw JSON over the official
``ApiClient`` (so kubeconfig, in-cluster config and TLS behave as usual) and resolves kinds by
discovery; :mod:`.errors` holds the error branch and its predicates; :mod:`.apply` makes an
object match a desired one (``create_or_update``, with owner references); :mod:`.finalizers`
holds deletion until cleanup succeeded; :mod:`.status` builds conditions and patches
``/status`` with ``observedGeneration``; :mod:`.events` posts aggregated Events and never
raises into a reconcile.
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
from reconciler.kube.events import EventRecorder, EventType, recorded_events
from reconciler.kube.finalizers import (
    add_finalizer,
    handle_finalizer,
    has_finalizer,
    is_being_deleted,
    remove_finalizer,
)
from reconciler.kube.refs import ResourceRef
from reconciler.kube.status import get_condition, patch_status, set_condition

__all__ = [
    "ApiError",
    "ApiUnavailableError",
    "EventRecorder",
    "EventType",
    "InvalidRequestError",
    "KubeClient",
    "KubeError",
    "Outcome",
    "PatchKind",
    "ResourceRef",
    "UnknownKindError",
    "add_finalizer",
    "create_or_update",
    "get_condition",
    "handle_finalizer",
    "has_finalizer",
    "is_already_exists",
    "is_being_deleted",
    "is_conflict",
    "is_not_found",
    "patch_status",
    "recorded_events",
    "remove_finalizer",
    "set_condition",
    "set_controller_reference",
]
