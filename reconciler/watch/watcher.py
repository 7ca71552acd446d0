"""The watcher of an application: every controller's sources, feeding every work queue.

Only the elected leader runs it. It is started with the term's ``epoch``: it raises each
controller queue's fence to that epoch before anything else and every write it makes carries
the epoch, so once a newer leader raised the fences this watcher's writes are refused and it
stops (``failed`` is set, ``error`` holds the ``FencedError``).

Why not ``kubernetes.informer.SharedInformer``: it deserializes every object into the
client's model classes (slow, and not JSON for the cache), retries after a fixed 5 s without
``Retry-After``, has no bookmarks, no client read timeout for stalled streams (kopf #585's
failure), no diff on relist (so no DELETED for objects gone while away), and keeps its cache
in process memory, where no worker on another host can read it.

Each controller's sources are watched separately, even when two controllers watch the same
resource (simple, and each keeps its own scope and predicates; the cache entries are shared
when the scope is the same).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from redis import Redis

from reconciler import controller as controller_mod
from reconciler import errors
from reconciler.queue import WorkQueue
from reconciler.watch import cache, discovery, http, mapping, source

log = logging.getLogger("reconciler.watch")


class Watcher:
    """Lists and watches the sources of every controller of ``app`` into their queues."""

    def __init__(self, app: controller_mod.Application, redis: Redis, api_client: Any, *,
                 epoch: int | None, prefix: str = "reconciler",
                 config: source.WatchConfig | None = None) -> None:
        if not app.controllers:
            raise errors.ConfigError(f"application {app.name!r} declares no controllers")
        self.app, self.redis, self.prefix = app, redis, prefix
        self.config = config or source.WatchConfig()
        self.http = http.KubeHttp(api_client)
        self.epoch = epoch
        self.queues = {c.name: WorkQueue(redis, c.name, prefix=prefix) for c in app.controllers}
        self._handles = {name: self._fenced(q) for name, q in self.queues.items()}
        self.sources: list[source.SourceWatcher] = []
        self.primaries: dict[str, source.SourceWatcher] = {}
        self.failed = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._resync = threading.Thread(target=self._resync_loop, daemon=True, name="resync")

    def _fenced(self, queue: WorkQueue) -> WorkQueue:
        return queue if self.epoch is None else queue.with_epoch(self.epoch)

    def queue(self, controller: str) -> WorkQueue:
        """The queue (unfenced handle) of ``controller``."""
        return self.queues[controller]

    def resolve(self) -> dict[tuple[str, str], discovery.Served]:
        """Resolve every declared resource; raises naming the controller and field."""
        found = discovery.Discovery(self.http)
        return {(c.name, s.field): found.resolve(c, s.field, s.resource)
                for c in self.app.controllers for s in c.sources()}

    def start(self) -> Watcher:
        """Resolve, raise the fences to our epoch, and start every list/watch loop."""
        served = self.resolve()
        if self.epoch is not None:
            for queue in self.queues.values():
                queue.raise_fence(self.epoch)
        for ctl in self.app.controllers:
            primary = served[(ctl.name, "resource")]
            for src in ctl.sources():
                namespace = ctl.namespace_of(src.resource)
                watcher = source.SourceWatcher(
                    self.http, served[(ctl.name, src.field)], ctl=ctl, source=src,
                    mapper=mapping.KeyMap(ctl, src, primary),
                    object_cache=cache.ObjectCache(
                        self.redis, cache.resource_id(src.resource, namespace),
                        prefix=self.prefix, tombstone_seconds=self.config.tombstone_seconds),
                    sink=lambda name=ctl.name: self._handles[name],  # type: ignore[misc]
                    config=self.config, on_fatal=self._fatal)
                self.sources.append(watcher)
                if src.role == "primary":
                    self.primaries[ctl.name] = watcher
        for watcher in self.sources:
            watcher.start()
        self._resync.start()
        return self

    def wait_synced(self, timeout: float) -> bool:
        """Wait until every source finished its first list; False on timeout or failure."""
        deadline = time.monotonic() + timeout
        for watcher in self.sources:
            if not watcher.synced.wait(max(0.0, deadline - time.monotonic())):
                return False
        return not self.failed.is_set()

    def new_term(self, epoch: int) -> None:
        """Redis lost its data: carry ``epoch`` from now on and relist everything."""
        self.epoch = epoch
        for queue in self.queues.values():
            queue.raise_fence(epoch)
        self._handles = {name: self._fenced(q) for name, q in self.queues.items()}
        for watcher in self.sources:
            watcher.relist_all()
        self.http.cut()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every loop and close every stream."""
        self._stop.set()
        for watcher in self.sources:
            watcher.stop()
        self.http.cut()
        deadline = time.monotonic() + timeout
        for watcher in self.sources:
            if watcher.thread.is_alive():
                watcher.thread.join(max(0.0, deadline - time.monotonic()))

    def _fatal(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
            log.error("watcher stopping: %s: %s", type(exc).__name__, exc)
        self.failed.set()
        self._stop.set()
        for watcher in self.sources:
            watcher.stop()
        self.http.cut()

    def _resync_loop(self) -> None:
        rng = random.Random()

        def next_at(ctl: controller_mod.Controller) -> float:
            return time.monotonic() + ctl.resync_period * (1 + rng.uniform(0, ctl.resync_jitter))

        due = {ctl.name: next_at(ctl) for ctl in self.app.controllers}
        by_name = {ctl.name: ctl for ctl in self.app.controllers}
        while not self._stop.wait(max(0.01, min(due.values()) - time.monotonic())):
            now = time.monotonic()
            for name, at in list(due.items()):
                if at > now:
                    continue
                due[name] = next_at(by_name[name])
                keys = self.primaries[name].known_keys()
                try:
                    for start in range(0, len(keys), 1000):
                        self._handles[name].add_many(keys[start:start + 1000])
                except errors.FencedError as exc:
                    self._fatal(exc)
                    return
                except errors.ReconcilerError as exc:
                    log.warning("controller %r: resync failed: %s", name, exc)
                    continue
                log.info("controller %r: resync enqueued %d keys", name, len(keys))
