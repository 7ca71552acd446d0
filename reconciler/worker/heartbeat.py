"""Keep leases alive while their reconciles run.

A lease is short (30 s by default) so that a dead worker's key comes back quickly; a reconcile
may run longer. One thread per process extends every lease it tracks once a third of the
lease duration has passed since the last extension, so a run costs no thread of its own. If
an extension fails (the lease expired and may be held by another worker), the run's ``lost``
flag is set: the run goes on, since Python cannot stop it safely, but ``finish`` will ignore
its outcome (stale token).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from reconciler import errors
from reconciler.queue import Lease, WorkQueue

log = logging.getLogger(__name__)

#: How often the thread looks for leases due for an extension, at most.
TICK_SECONDS = 0.5


@dataclass
class Tracked:
    """One lease being kept alive."""

    queue: WorkQueue
    lease: Lease
    due: float
    lost: threading.Event = field(default_factory=threading.Event)


class Heartbeats:
    """``with heartbeats.keep(queue, lease) as tracked: reconcile(...)``; one per process."""

    def __init__(self) -> None:
        self._tracked: dict[int, Tracked] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._added = threading.Event()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def keep(self, queue: WorkQueue, lease: Lease) -> Iterator[Tracked]:
        """Extend ``lease`` every ``queue.lease_seconds / 3`` until the block ends."""
        tracked = Tracked(queue, lease, due=time.monotonic() + queue.lease_seconds / 3)
        ident = next(self._ids)
        with self._lock:
            self._tracked[ident] = tracked
            self._added.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="heartbeats",
                                                daemon=True)
                self._thread.start()
        try:
            yield tracked
        finally:
            with self._lock:
                del self._tracked[ident]

    def _run(self) -> None:
        while True:
            now = time.monotonic()
            with self._lock:
                due = [t for t in self._tracked.values() if t.due <= now and not t.lost.is_set()]
                soonest = min((t.due for t in self._tracked.values()), default=now + TICK_SECONDS)
            for tracked in due:
                self._extend(tracked)
            self._added.wait(min(TICK_SECONDS, max(0.01, soonest - time.monotonic())))
            self._added.clear()

    @staticmethod
    def _extend(tracked: Tracked) -> None:
        try:
            alive = tracked.queue.extend(tracked.lease)
        except errors.RedisUnavailableError as exc:
            log.warning("cannot extend the lease of %s: %s", tracked.lease.key, exc)
            tracked.due = time.monotonic() + TICK_SECONDS
            return
        if alive:
            tracked.due = time.monotonic() + tracked.queue.lease_seconds / 3
        else:
            log.warning("lost the lease of %s; its outcome will be ignored", tracked.lease.key)
            tracked.lost.set()
