"""List-then-watch of one resource for one controller: events become cache writes and keys.

The loop, per resource (one thread each):

1. **List** (paged) and diff against what this watcher remembers: new and changed objects
   become ADDED/MODIFIED events, remembered objects missing from the list become DELETED.
   On the first list of a term it also compares with the shared cache's index, so objects
   deleted while no leader watched are found too.
2. **Watch** from the list's resourceVersion with bookmarks on and a server timeout drawn
   from [T, 2T] (client-go's), reading with a client timeout so a stalled stream is noticed.
   A normal end re-watches from the last resourceVersion seen (bookmarks keep it fresh).
3. On **410 Gone** (history compacted), relist and diff: only what changed is enqueued. On a
   dropped connection, 5xx or 429, wait (jittered exponential backoff, never less than
   ``Retry-After``) and watch again from the last resourceVersion.

Each batch of events is applied in a fixed order: cache writes, then queue adds, then the
watcher's memory, so a crash between steps re-detects the change rather than losing it.
A refused queue write (``FencedError``: a newer leader exists) is fatal: ``on_fatal``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler import controller as controller_mod
from reconciler import errors
from reconciler.watch import backoff, cache, discovery, events, http, mapping

log = logging.getLogger("reconciler.watch")


@dataclass(frozen=True)
class WatchConfig:
    """Timeouts and retry bounds of the list/watch loops."""

    server_timeout: float = 300.0
    """``timeoutSeconds`` of a watch is drawn from [this, 2 x this]."""
    stall_timeout: float = 120.0
    """A watch silent this long (no event, no bookmark) is restarted."""
    page_size: int = 500
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    min_healthy_watch: float = 1.0
    """A watch that ends sooner than this with no events counts as a failure (backoff)."""
    tombstone_seconds: float = cache.DEFAULT_TOMBSTONE_SECONDS

    def __post_init__(self) -> None:
        for name in ("server_timeout", "stall_timeout", "backoff_initial", "backoff_max",
                     "tombstone_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise errors.ConfigError(f"watch config: {name} must be positive, got {value!r}")
        if not isinstance(self.page_size, int) or self.page_size < 1:
            raise errors.ConfigError(f"watch config: page_size must be >= 1, got "
                                     f"{self.page_size!r}")


class Sink(Protocol):
    """Where keys go: the controller's work queue (epoch-fenced) in production."""

    def add_many(self, keys: list[str]) -> int:
        """Add ``keys``; returns how many changed the queue."""
        ...


class SourceWatcher:
    """Lists and watches one :class:`~reconciler.controller.Source` of one controller."""

    def __init__(self, client: http.KubeHttp, served: discovery.Served, *,
                 ctl: controller_mod.Controller, source: controller_mod.Source,
                 mapper: mapping.KeyMap, object_cache: cache.ObjectCache,
                 sink: Callable[[], Sink], config: WatchConfig,
                 on_fatal: Callable[[BaseException], None]) -> None:
        self.client, self.served, self.controller, self.source = client, served, ctl, source
        self.mapper, self.cache, self.sink, self.config = mapper, object_cache, sink, config
        self.on_fatal = on_fatal
        self.namespace = ctl.namespace_of(source.resource)
        self.path = discovery.collection_path(served, self.namespace)
        self.known: dict[str, events.OldState] = {}
        self.lock = threading.Lock()
        self.resource_version: str | None = None
        self.synced = threading.Event()
        self.stopping = threading.Event()
        self._relist = threading.Event()
        self._fresh_term = True
        self._backoff = backoff.Backoff(config.backoff_initial, config.backoff_max)
        self._random = random.Random()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"watch-{ctl.name}-{source.field}")
        self.lists = 0
        self.events = 0

    def __repr__(self) -> str:
        return f"SourceWatcher({self.controller.name}.{self.source.field} {self.path})"

    def start(self) -> None:
        """Start the list/watch thread."""
        self.thread.start()

    def stop(self) -> None:
        """Ask the thread to end (the caller also cuts open streams)."""
        self.stopping.set()

    def relist_all(self) -> None:
        """Forget everything and relist as if newly elected (after Redis lost its data)."""
        with self.lock:
            self.known.clear()
        self._fresh_term = True
        self._relist.set()

    def known_keys(self) -> list[str]:
        """The keys of every object currently known (for resyncs)."""
        with self.lock:
            return list(self.known)

    # -- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        need_list = True
        while not self.stopping.is_set():
            try:
                if need_list or self._relist.is_set():
                    self._relist.clear()
                    self._list()
                    need_list = False
                started, seen = time.monotonic(), self._watch()
                if seen == 0 and time.monotonic() - started < self.config.min_healthy_watch:
                    self._pause(self._backoff.next(), "watch ended at once")
                elif seen:
                    self._backoff.reset()
            except http.WatchExpiredError as exc:
                log.info("%r: %s; relisting", self, exc)
                need_list = True
            except http.ApiStatusError as exc:
                self._pause(self._backoff.next(exc.retry_after), str(exc))
            except http.TransportError as exc:
                self._pause(self._backoff.next(), str(exc))
            except errors.RedisUnavailableError as exc:
                need_list = True  # the batch in flight may be half applied: diff again
                self._pause(self._backoff.next(), str(exc))
            except BaseException as exc:  # FencedError or a bug: stop leading
                if not self.stopping.is_set():
                    self.on_fatal(exc)
                return

    def _pause(self, seconds: float, why: str) -> None:
        if not self.stopping.is_set():
            log.warning("%r: %s; retrying in %.2fs", self, why, seconds)
            self.stopping.wait(seconds)

    def _params(self) -> dict[str, Any]:
        selector = self.source.resource.label_selector
        return {"labelSelector": selector} if selector else {}

    def _list(self) -> None:
        items: list[events.JsonObj] = []
        params: dict[str, Any] = {**self._params(), "limit": self.config.page_size}
        while True:
            page = self.client.get(self.path, params)
            items.extend(page.get("items") or ())
            meta = page.get("metadata") or {}
            if not meta.get("continue"):
                break
            params["continue"] = meta["continue"]
        list_rv = str(meta.get("resourceVersion", ""))
        kind, api_version = self.served.kind, self.served.api_version
        changes: list[events.Event] = []
        listed: set[str] = set()
        with self.lock:
            known = dict(self.known)
        for obj in items:
            obj.setdefault("kind", kind)
            obj.setdefault("apiVersion", api_version)
            key = events.object_key(obj)
            listed.add(key)
            old = known.get(key)
            if old is None:
                changes.append(events.Event(events.ADDED, obj))
            elif old.resource_version != str(obj["metadata"].get("resourceVersion", "")):
                changes.append(events.Event(events.MODIFIED, obj, old))
        gone = {key: old for key, old in known.items() if key not in listed}
        if self._fresh_term:
            for key in self.cache.keys() - listed - gone.keys():
                gone[key] = self._cached_state(key, list_rv)
        for key, old in gone.items():
            stub = events.tombstone_object(key, old)
            stub["metadata"]["resourceVersion"] = list_rv
            changes.append(events.Event(events.DELETED, stub, old))
        self._apply(changes)
        self._fresh_term = False
        self.resource_version = list_rv
        self.lists += 1
        self.synced.set()
        log.info("%r: listed %d objects at %s, %d changes", self, len(items), list_rv,
                 len(changes))

    def _cached_state(self, key: str, fallback_rv: str) -> events.OldState:
        entry = self.cache.read(key)
        if entry is not None and entry[1]:
            return events.remember(json.loads(entry[1]))
        return events.OldState(fallback_rv, None, {}, 0, None)

    def _watch(self) -> int:
        timeout = self.config.server_timeout * (1 + self._random.random())
        params = {**self._params(), "watch": "true", "allowWatchBookmarks": "true",
                  "resourceVersion": self.resource_version or "",
                  "timeoutSeconds": max(1, int(timeout))}
        seen = 0
        for batch in self.client.stream(self.path, params,
                                         read_timeout=self.config.stall_timeout):
            if self.stopping.is_set() or self._relist.is_set():
                break
            changes: list[events.Event] = []
            for raw in batch:
                changes.extend(self._event(raw))
            if changes:
                self._apply(changes)
            seen += len(batch)
        return seen

    def _event(self, raw: events.JsonObj) -> list[events.Event]:
        kind, obj = raw.get("type"), raw.get("object") or {}
        meta = obj.get("metadata") or {}
        if kind == "BOOKMARK":
            self.resource_version = str(meta.get("resourceVersion", self.resource_version))
            return []
        if kind == "ERROR":
            raise http.status_error(int(obj.get("code") or 500), obj)
        self.resource_version = str(meta.get("resourceVersion", self.resource_version))
        with self.lock:
            old = self.known.get(events.object_key(obj))
        if kind == events.DELETED:
            return [events.Event(events.DELETED, obj, old)]
        return [events.Event(events.MODIFIED if old is not None else events.ADDED, obj, old)]

    def _apply(self, changes: list[events.Event]) -> None:
        self.events += len(changes)
        puts: list[tuple[str, str, events.JsonObj | None]] = []
        keys: dict[str, None] = {}
        predicate = self.source.resource.predicate
        for event in changes:
            meta = event.obj["metadata"]
            namespace = meta.get("namespace")
            key = f"{namespace}/{meta.get('name', '')}" if namespace else str(meta.get("name"))
            puts.append((key, str(meta.get("resourceVersion", "")),
                         None if event.type == events.DELETED else event.obj))
            if predicate is None or predicate(event):
                keys.update(dict.fromkeys(self.mapper.keys(event)))
        self.cache.put_many(puts)
        queued = list(keys)
        for start in range(0, len(queued), 1000):
            self.sink().add_many(queued[start:start + 1000])
        with self.lock:
            for key, _, obj in puts:
                if obj is None:
                    self.known.pop(key, None)
                else:
                    self.known[key] = events.remember(obj)
