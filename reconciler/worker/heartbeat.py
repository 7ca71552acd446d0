"""Keep a lease alive while its reconcile runs.

A lease is short (30 s by default) so that a dead worker's key comes back quickly; a reconcile
may run longer. A thread extends the lease every third of its duration. If an extension fails
(the lease expired and may be held by another worker), ``lost`` is set: the run goes on, since
Python cannot stop it safely, but its outcome will be ignored by ``finish`` (stale token).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from reconciler import errors
from reconciler.queue import Lease, WorkQueue

log = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(queue, lease): reconcile(...)`` extends ``lease`` until the block ends."""

    def __init__(self, queue: WorkQueue, lease: Lease, *, interval: float | None = None) -> None:
        self.queue = queue
        self.lease = lease
        self.interval = interval if interval is not None else queue.lease_seconds / 3
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat {lease.key}", daemon=True
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                alive = self.queue.extend(self.lease)
            except errors.RedisUnavailableError as exc:
                log.warning("cannot extend the lease of %s: %s", self.lease.key, exc)
                continue
            if not alive:
                log.warning("lost the lease of %s; its outcome will be ignored", self.lease.key)
                self.lost.set()
                return

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
