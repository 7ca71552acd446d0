"""The errors of the Kubernetes helper layer (one branch of :mod:`reconciler.errors`) and
the predicates that classify them.

A reconcile function usually lets these propagate: the runtime turns any exception into a
rate-limited requeue, which is the right answer to a 409 Conflict or an API server that is
briefly away. Catch them only to make a decision, with the predicates below. The classes
(``KubeError`` and its subclasses) are defined, and drawn in the tree, in
:mod:`reconciler.errors`; they are re-exported here. The original client exception is always
kept on ``__cause__`` (``raise ... from``).
"""

from __future__ import annotations

from reconciler.errors import (
    ApiError,
    ApiUnavailableError,
    InvalidRequestError,
    KubeError,
    UnknownKindError,
)

__all__ = [
    "ApiError",
    "ApiUnavailableError",
    "InvalidRequestError",
    "KubeError",
    "UnknownKindError",
    "is_already_exists",
    "is_conflict",
    "is_not_found",
]


def is_not_found(err: BaseException) -> bool:
    """True for a 404 NotFound, e.g. to treat a vanished object as already cleaned up."""
    return isinstance(err, ApiError) and (err.status == 404 or err.reason == "NotFound")


def is_conflict(err: BaseException) -> bool:
    """True for a 409 Conflict: a stale resourceVersion, to be retried on a fresh read."""
    return isinstance(err, ApiError) and err.status == 409 and err.reason != "AlreadyExists"


def is_already_exists(err: BaseException) -> bool:
    """True for a 409 AlreadyExists: a create of a name that is taken."""
    return isinstance(err, ApiError) and err.reason == "AlreadyExists"
