"""Reading the shared cache from a worker, falling back to the API server when it must.

``reader.get(key)`` returns the object (a dict) or ``None`` when it does not exist. A cache
hit is only returned when it is at least as new as the event that queued the key:

* the watcher writes the cache entry before it adds the key, on the same Redis, so any entry
  present when the worker leases the key is at least that new;
* a caller that knows the event's resourceVersion passes ``min_resource_version``; an older
  entry is not trusted;
* a missing entry (never cached, evicted, lost with Redis' data, tombstone expired) or an
  entry older than ``min_resource_version`` falls back to a GET on the API server (404 means
  deleted). :attr:`stats` counts hits, tombstones and fallbacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis import Redis

from reconciler import controller as controller_mod
from reconciler.watch import cache, discovery, http
from reconciler.watch.events import JsonObj


@dataclass
class ReaderStats:
    """How reads were answered."""

    hits: int = 0
    tombstones: int = 0
    fallbacks: int = 0


def _older(rv: str, minimum: str | None) -> bool:
    if minimum is None:
        return False
    try:
        return int(rv) < int(minimum)
    except ValueError:
        return rv != minimum


class CacheReader:
    """Reads one controller's primary objects by queue key."""

    def __init__(self, redis: Redis, api_client: Any, controller: controller_mod.Controller,
                 *, prefix: str = "reconciler") -> None:
        self.controller = controller
        resource = controller.resource
        self.cache = cache.ObjectCache(
            redis, cache.resource_id(resource, controller.namespace_of(resource)), prefix=prefix)
        self.http = http.KubeHttp(api_client)
        self._discovery = discovery.Discovery(self.http)
        self._served: discovery.Served | None = None
        self.stats = ReaderStats()

    def get(self, key: str, *, min_resource_version: str | None = None) -> JsonObj | None:
        """The object with queue key ``key``, or ``None`` if it does not exist."""
        entry = self.cache.read(key)
        if entry is not None and not _older(entry[0], min_resource_version):
            body = entry[1]
            if not body:
                self.stats.tombstones += 1
                return None
            self.stats.hits += 1
            obj: JsonObj = json.loads(body)
            return obj
        self.stats.fallbacks += 1
        return self._from_api(key)

    def _from_api(self, key: str) -> JsonObj | None:
        if self._served is None:
            self._served = self._discovery.resolve(self.controller, "resource",
                                                   self.controller.resource)
        try:
            return self.http.get(discovery.object_path(self._served, key))
        except http.ApiStatusError as exc:
            if exc.code == 404:
                return None
            raise
