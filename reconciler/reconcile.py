"""The contract between a controller author and the runtime: ``Request``, ``Result``,
``TerminalError`` and the reconcile signature.

Reconciliation is **level-based**: the function is told *which* object to look at, never
*what* changed. It reads the current state, compares it with the desired state and acts until
they agree. It must be **idempotent**: it may run again at any time, after a crash, a retry or
a resync, and running it twice must do no harm. Runs for one key never overlap; a change that
arrives during a run makes the key run once more after it.

Retry rules (controller-runtime's), applied by :func:`reconciler.outcome.classify`:

================================  ==========================================  ===============
the reconcile function            what the queue does                         result label
================================  ==========================================  ===============
raises                            requeue with per-key exponential backoff    ``error``
raises :class:`TerminalError`     no requeue; counted as a terminal error     ``error``
returns ``Result(requeue_after)`` forget the backoff, requeue after the delay ``requeue_after``
returns ``Result(requeue=True)``  requeue with per-key exponential backoff    ``requeue``
returns anything else             forget the backoff                          ``success``
================================  ==========================================  ===============

A periodic check belongs in ``requeue_after``, not in a timer of your own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler import errors


@dataclass(frozen=True)
class Request:
    """Which object to reconcile: its namespace (``""`` when cluster-scoped) and name."""

    namespace: str
    name: str

    @property
    def key(self) -> str:
        """``namespace/name``, or ``name`` for a cluster-scoped object: the work-queue key."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @classmethod
    def from_key(cls, key: str) -> Request:
        """The request for a work-queue key."""
        namespace, _, name = key.rpartition("/")
        if not name:
            raise errors.InvalidKeyError(f"work-queue key {key!r} has no object name")
        return cls(namespace=namespace, name=name)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Result:
    """What the reconcile function asks of the queue when it returns normally."""

    requeue: bool = False
    """Run again after the key's rate-limited backoff (for "not yet, try soon")."""
    requeue_after: float | None = None
    """Run again after this many seconds, with the backoff forgotten (periodic checks)."""

    def __post_init__(self) -> None:
        delay = self.requeue_after
        if delay is not None and (
            isinstance(delay, bool)
            or not isinstance(delay, int | float)
            or not math.isfinite(delay)
            or delay < 0
        ):
            raise errors.InvalidDelayError(
                f"Result.requeue_after must be a finite number of seconds >= 0, got {delay!r}"
            )


class TerminalError(errors.ReconcilerError):
    """Raise (or raise from) this when retrying cannot help, such as an invalid spec that only a
    user's edit can fix. The key is not requeued; it runs again when the object changes."""


ReconcileFunc = Callable[[Any, Request], Result | None]
"""``reconcile(ctx, request) -> Result | None``; ``ctx`` is the worker's
:class:`reconciler.worker.context.Context`."""
