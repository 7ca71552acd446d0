"""Ready keys become Celery tasks, with the backlog kept in the work queue.

A dispatcher leases ready keys in batches and publishes one task per key. It never lets more
than ``max_in_flight`` keys of a controller be leased at once, counting every dispatcher on
every host: the cap is enforced inside the queue's ``get`` script. So the broker holds at most
``max_in_flight`` messages per controller, and the true backlog stays in the work queue, where
it is deduplicated, rate-limited and measured.

Because taking keys is atomic in Redis, any number of dispatchers may run: every Celery worker
node runs one per controller (see :mod:`reconciler.worker.celeryapp`), so dispatch capacity
grows with the deployment. What remains a ceiling is one Redis server's script throughput for
the queue of one controller (see docs/benchmarks.md), since a queue lives on one slot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from reconciler import errors
from reconciler.queue import Lease, WorkQueue

log = logging.getLogger("reconciler.dispatch")

Publish = Callable[[Sequence[Lease]], None]
"""Sends one reconcile task per lease (for example with one Celery producer)."""


class Dispatcher:
    """Moves one controller's ready keys to ``publish``, at most ``max_in_flight`` at once."""

    def __init__(
        self,
        queue: WorkQueue,
        publish: Publish,
        *,
        max_in_flight: int = 100,
        batch: int = 50,
    ) -> None:
        if not isinstance(max_in_flight, int) or max_in_flight < 1:
            raise errors.ConfigError(
                f"max_in_flight of {queue.name!r} must be an integer >= 1, got {max_in_flight!r}"
            )
        if not isinstance(batch, int) or batch < 1:
            raise errors.ConfigError(f"dispatch batch must be an integer >= 1, got {batch!r}")
        self.queue = queue
        self.publish = publish
        self.max_in_flight = max_in_flight
        self.batch = min(batch, max_in_flight)

    def run_once(self, *, timeout: float = 1.0) -> int:
        """Lease and publish one batch, waiting up to ``timeout`` for a key; returns how many.

        If publishing fails, the keys are handed back with a rate-limited requeue, so a broker
        outage backs off instead of spinning, and no key is lost."""
        leases = self.queue.get_batch(self.batch, timeout=timeout, max_leased=self.max_in_flight)
        if not leases:
            return 0
        try:
            self.publish(leases)
        except Exception as exc:
            log.error("%s: publishing %d tasks failed, requeueing: %s",
                      self.queue.name, len(leases), exc)
            for lease in leases:
                self.queue.finish(lease, "rate_limited")
            return 0
        return len(leases)

    def run(self, stop: threading.Event) -> None:
        """Dispatch until ``stop`` is set; Redis outages are logged and retried."""
        while not stop.is_set():
            try:
                self.run_once(timeout=1.0)
            except errors.RedisUnavailableError as exc:
                log.warning("%s: dispatch paused: %s", self.queue.name, exc)
                stop.wait(1.0)
