"""The errors of the Kubernetes helper layer, one branch under the library's root.

A reconcile function usually lets these propagate: the runtime turns any exception into a
rate-limited requeue, which is the right answer to a 409 Conflict or an API server that is
briefly away. Catch them only to make a decision, with the predicates below::

    ReconcilerError
    └── KubeError                   anything from reconciler.kube
        ├── ApiError                the API server answered with an error (status, reason)
        ├── ApiUnavailableError     no answer: refused, unreachable or timed out
        │                           (also ConnectionError); the message names the server
        ├── UnknownKindError        discovery does not serve this apiVersion/kind
        │                           (also LookupError)
        └── InvalidRequestError     the caller's input cannot form a request (also ValueError)

The original client exception is always kept on ``__cause__`` (``raise ... from``).
"""

from __future__ import annotations

from reconciler.errors import ReconcilerError


class KubeError(ReconcilerError):
    """The root of every error raised by :mod:`reconciler.kube`."""


class ApiError(KubeError):
    """The API server refused a request; ``reason`` is the ``metav1.Status`` reason.

    ``status`` is the HTTP code (409), ``reason`` the machine-readable cause (``"Conflict"``,
    ``"NotFound"``, ``"AlreadyExists"``, ``"Invalid"``; empty when the body was not a Status)
    and ``message`` the server's human-readable text.
    """

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason or 'Error'}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


class ApiUnavailableError(KubeError, ConnectionError):
    """The API server could not be reached or did not answer in time.

    It is not an :class:`ApiError` because there is no status to inspect: the request may or
    may not have been applied. The message names the server URL (never credentials).
    """


class UnknownKindError(KubeError, LookupError):
    """Discovery does not list the kind for this apiVersion (a typo, or a CRD not installed)."""


class InvalidRequestError(KubeError, ValueError):
    """The arguments cannot form a request, e.g. a namespaced resource without a namespace."""


def is_not_found(err: BaseException) -> bool:
    """True for a 404 NotFound, e.g. to treat a vanished object as already cleaned up."""
    return isinstance(err, ApiError) and (err.status == 404 or err.reason == "NotFound")


def is_conflict(err: BaseException) -> bool:
    """True for a 409 Conflict: a stale resourceVersion, to be retried on a fresh read."""
    return isinstance(err, ApiError) and err.status == 409 and err.reason != "AlreadyExists"


def is_already_exists(err: BaseException) -> bool:
    """True for a 409 AlreadyExists: a create of a name that is taken."""
    return isinstance(err, ApiError) and err.reason == "AlreadyExists"
