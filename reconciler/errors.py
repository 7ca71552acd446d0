"""Every error the library raises, under one root.

Catch :class:`ReconcilerError` to catch them all; catch a branch to handle one domain. Each
error also derives from the builtin a caller would naturally expect (``ValueError`` for bad
input, ``ConnectionError`` for an unreachable server), so generic handlers keep working::

    ReconcilerError
    ├── ConfigError                 a bad setting, named with where it came from (ValueError)
    │   └── InvalidControllerError  a controller declaration; names the controller and field
    ├── RedisUnavailableError       Redis cannot be reached (also ConnectionError)
    ├── QueueError                  the work queue
    │   ├── InvalidKeyError         empty, non-string or control characters (also ValueError)
    │   ├── InvalidDelayError       negative, NaN or infinite delay (also ValueError)
    │   └── FencedError             a write carried an epoch older than the queue's fence
    ├── LeadershipLostError         this process stopped leading (renewal failed, deposed)
    ├── KubeError                   the worker's API client (reconciler.kube)
    │   ├── ApiError                the API server answered an error (status, reason, message)
    │   ├── ApiUnavailableError     no answer: refused, unreachable, timed out
    │   │                           (also ConnectionError); the message names the server
    │   ├── UnknownKindError        discovery serves no such apiVersion/kind (LookupError)
    │   └── InvalidRequestError     arguments that cannot form a request (also ValueError)
    └── WatchError                  the watcher's list/watch streams (reconciler.watch)
        ├── ApiStatusError          an error status, with any Retry-After
        │   └── WatchExpiredError   410 Gone: the resourceVersion is too old; relist
        └── TransportError          refused, reset, or stalled past the read timeout
                                    (also ConnectionError)

Client errors are wrapped with ``raise ... from`` so the original stays on ``__cause__``.
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """The root of every error this library raises."""


class ConfigError(ReconcilerError, ValueError):
    """A setting is invalid; the message names the setting and the offending value."""


class InvalidControllerError(ConfigError):
    """A controller declaration is invalid; the message names the controller and field."""


class RedisUnavailableError(ReconcilerError, ConnectionError):
    """Redis could not be reached; the message names the server (never its password)."""


class QueueError(ReconcilerError):
    """A work-queue operation was refused."""


class InvalidKeyError(QueueError, ValueError):
    """A queue key is not a non-empty string free of control characters."""


class InvalidDelayError(QueueError, ValueError):
    """A delay is negative, NaN or infinite."""


class FencedError(QueueError):
    """A write carried a leader epoch older than the queue's fence: its writer was deposed."""


class LeadershipLostError(ReconcilerError):
    """This process stopped leading: renewal failed for the renew deadline or it was deposed."""


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


class WatchError(ReconcilerError):
    """A list or watch of the watcher failed; its retry loop classifies these."""


class ApiStatusError(WatchError):
    """The API server answered a list or watch with an error status."""

    def __init__(self, code: int, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"API server answered {code}: {message}")
        self.code = code
        self.retry_after = retry_after


class WatchExpiredError(ApiStatusError):
    """410 Gone: the resourceVersion is older than the server's history; relist."""


class TransportError(WatchError, ConnectionError):
    """The connection failed, dropped or stalled past the read timeout."""
