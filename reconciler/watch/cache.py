"""The shared object cache in Redis: the latest JSON of every watched object, by key.

Layout, per cached resource scope ``rid`` (``apiVersion:kind:namespace:labelSelector`` as
declared, so controllers watching the same objects with the same scope share entries):

* ``<prefix>:cache:{<rid>}:o:<namespace/name>``  STRING ``"<resourceVersion>\\n<JSON>"``;
  after a deletion a tombstone ``"<resourceVersion>\\n"`` that expires after
  ``tombstone_seconds`` (default 300);
* ``<prefix>:cache:{<rid>}:index``  SET of the keys with a live entry, so a new leader finds
  objects deleted while nobody watched.

The watcher writes an event's entry *before* it adds the event's keys to the work queue, on
the same Redis; so a worker that leased a key reads an entry at least as new as the event
that queued it (see :mod:`reconciler.watch.reader` for the fallback when it is not there).
Writes go through ``scripts/cache_put.lua`` (many objects a call), which never replaces a
newer resourceVersion with an older one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources

from redis import Redis

from reconciler import controller as controller_mod
from reconciler import redisconn
from reconciler.watch.events import JsonObj

DEFAULT_TOMBSTONE_SECONDS = 300.0

#: Objects per script call (bounds the time one call holds Redis).
BATCH = 500


@functools.cache
def _source() -> str:
    return (resources.files("reconciler.watch") / "scripts" / "cache_put.lua").read_text(
        encoding="utf-8")


def resource_id(resource: controller_mod.Resource, namespace: str | None) -> str:
    """The cache scope of ``resource`` watched in ``namespace`` (``None``: all)."""
    return (f"{resource.api_version}:{resource.kind}:{namespace or '*'}:"
            f"{resource.label_selector or ''}")


class ObjectCache:
    """Writes and reads the entries of one resource scope."""

    def __init__(self, redis: Redis, rid: str, *, prefix: str = "reconciler",
                 tombstone_seconds: float = DEFAULT_TOMBSTONE_SECONDS) -> None:
        self.redis = redis
        self.rid = rid
        self.base = f"{prefix}:cache:{{{rid.replace('{', '(').replace('}', ')')}}}"
        self.index_key = f"{self.base}:index"
        self.tombstone_ms = max(1, round(tombstone_seconds * 1000))
        self._put = redis.register_script(_source())

    def entry_key(self, key: str) -> str:
        """The Redis key of the object with queue key ``key``."""
        return f"{self.base}:o:{key}"

    def put_many(self, changes: Iterable[tuple[str, str, JsonObj | None]]) -> int:
        """Store ``(key, resourceVersion, object or None for deleted)`` for each change, in
        script calls of :data:`BATCH` objects; returns how many entries were written."""
        pending = list(changes)
        written = 0
        with redisconn.unavailable_as_error(self.redis):
            for start in range(0, len(pending), BATCH):
                keys: list[str] = [self.index_key]
                args: list[str | int] = [self.tombstone_ms]
                for key, rv, obj in pending[start:start + BATCH]:
                    keys.append(f"{self.base}:o:{key}")
                    args += (rv, "" if obj is None else json.dumps(obj, separators=(",", ":")),
                             key)
                written += int(self._put(keys=keys, args=args))
        return written

    def read(self, key: str) -> tuple[str, str] | None:
        """``(resourceVersion, JSON or '' for a tombstone)``, or ``None`` when absent."""
        with redisconn.unavailable_as_error(self.redis):
            value = self.redis.get(self.entry_key(key))
        if value is None:
            return None
        rv, _, body = str(value).partition("\n")
        return rv, body

    def keys(self) -> set[str]:
        """The keys with a live entry (for finding objects deleted while unwatched)."""
        with redisconn.unavailable_as_error(self.redis):
            return {str(k) for k in self.redis.sscan_iter(self.index_key, count=1000)}
