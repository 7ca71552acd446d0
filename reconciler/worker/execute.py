"""One reconcile of one leased key, from the lease check to the outcome in the queue.

This is the body of every Celery reconcile task, kept free of Celery so it can be read and
tested on its own. The order matters:

1. ``extend`` the lease: if it is no longer current (the message was redelivered after the
   lease expired and the key went to another worker), skip the run; the current holder runs it.
2. Run the reconcile function under a heartbeat that keeps the lease alive.
3. Map what happened to an outcome (:func:`reconciler.outcome.classify`) and apply it together
   with releasing the lease, in one atomic ``finish``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler import outcome as outcomes
from reconciler.queue import Lease, WorkQueue
from reconciler.reconcile import ReconcileFunc, Request
from reconciler.worker.heartbeat import Heartbeats

log = logging.getLogger("reconciler.worker")

ContextFactory = Callable[[Request], Any]
"""Builds the context handed to the reconcile function for one request."""


@dataclass(frozen=True)
class Execution:
    """What one task run did; ``outcome`` is ``None`` when the lease was stale and the run
    skipped."""

    outcome: outcomes.Outcome | None
    seconds: float = 0.0
    released: bool = False


def is_conflict(error: BaseException) -> bool:
    """Whether ``error`` is an HTTP 409 from the API server: an ordinary optimistic-concurrency
    retry, logged quietly."""
    return getattr(error, "status", None) == 409


def execute(
    queue: WorkQueue,
    lease: Lease,
    reconcile: ReconcileFunc,
    make_context: ContextFactory,
    *,
    controller: str,
    heartbeats: Heartbeats,
) -> Execution:
    """Run ``reconcile`` for ``lease.key`` and settle the key in ``queue``; ``heartbeats``
    (one per process) keeps the lease alive meanwhile."""
    if not queue.extend(lease):
        log.info("%s %s: lease %d is no longer current; skipped", controller, lease.key,
                 lease.token)
        return Execution(outcome=None)
    request = Request.from_key(lease.key)
    started = time.monotonic()
    error: BaseException | None = None
    result: object = None
    with heartbeats.keep(queue, lease):
        try:
            result = reconcile(make_context(request), request)
        except Exception as exc:  # every failure becomes a retry; nothing escapes the task
            error = exc
    seconds = time.monotonic() - started
    outcome = outcomes.classify(result, error)
    finished = queue.finish(
        lease, outcome.action.value, delay=outcome.delay, label=outcome.label
    )
    _log(controller, lease, outcome=outcome, error=error,
         requeued_after=finished.requeued_after, seconds=seconds)
    return Execution(outcome=outcome, seconds=seconds, released=finished.released)


def _log(
    controller: str,
    lease: Lease,
    *,
    outcome: outcomes.Outcome,
    error: BaseException | None,
    requeued_after: float | None,
    seconds: float,
) -> None:
    where = f"{controller} {lease.key}"
    if error is None:
        log.debug("%s: %s in %.3fs", where, outcome.label, seconds)
    elif outcome.terminal:
        log.error("%s: terminal error, not retried: %s", where, error)
    elif is_conflict(error):
        log.info("%s: conflict (409), retrying in %.3fs", where, requeued_after or 0)
    else:
        log.error("%s: reconcile failed, retrying in %.3fs", where, requeued_after or 0,
                  exc_info=error)
