"""The change history and the fan-out of changes to open watches.

Every write appends one :class:`Change` to a bounded history and hands it to every open
:class:`Subscription`. A watch from resourceVersion R replays the retained changes after R and
then follows new ones; registration happens under the store's lock, so no change can fall
between the replay and the live stream. When R is older than the oldest retained change (the
history overflowed, or :meth:`Hub.compact` was called) the watch is refused with 410 Expired,
which the HTTP layer sends as an ``ERROR`` event, as the real server does.

Filtering (resource, namespace, selectors) happens on the watch's own thread, so a write costs
one queue put per open watch and no more.
"""

from __future__ import annotations

import collections
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from reconciler.testing.apiserver import status

JsonObj = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One write: its resourceVersion, the event type and the object before and after."""

    rv: int
    type: str  # ADDED, MODIFIED or DELETED
    storage_key: tuple[str, str]
    obj: JsonObj
    old: JsonObj | None
    encoded: dict[tuple[str, str], bytes] = field(default_factory=dict, compare=False)
    """Serialised watch lines by (event type, apiVersion), shared by all watchers: a change
    is encoded once however many watches send it."""


CLOSE = object()
"""Put on a subscription's queue to end the watch (server stop, or ``cut_watches``)."""


class Subscription:
    """One open watch: a queue of changes fed by the hub."""

    def __init__(self, hub: Hub, storage_key: tuple[str, str]) -> None:
        self.hub = hub
        self.storage_key = storage_key
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def close(self) -> None:
        """Stop receiving changes and wake the reader."""
        self.hub.unsubscribe(self)
        self.queue.put(CLOSE)


class Hub:
    """The bounded change history and the set of open subscriptions.

    Not locked on its own: the store calls it while holding its lock.
    """

    def __init__(self, history_size: int) -> None:
        self.history_size = history_size
        self._history: collections.deque[Change] = collections.deque()
        self._subscribers: set[Subscription] = set()
        self._subs_lock = threading.Lock()
        self.compacted_rv = 0
        """Watches must start at or after this resourceVersion."""

    def publish(self, change: Change) -> None:
        """Record a change and hand it to every subscriber."""
        self._history.append(change)
        while len(self._history) > self.history_size:
            self.compacted_rv = self._history.popleft().rv
        with self._subs_lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            if sub.storage_key == change.storage_key:
                sub.queue.put(change)

    def subscribe(self, storage_key: tuple[str, str], since: int | None,
                  current_rv: int) -> tuple[Subscription, list[Change]]:
        """Open a subscription; with ``since``, also the retained changes after it."""
        backlog: list[Change] = []
        if since is not None:
            if since < self.compacted_rv:
                raise status.expired(
                    f"too old resource version: {since} ({self.compacted_rv})")
            backlog = [c for c in self._history if c.rv > since and c.storage_key == storage_key]
        sub = Subscription(self, storage_key)
        with self._subs_lock:
            self._subscribers.add(sub)
        return sub, backlog

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a subscription (idempotent)."""
        with self._subs_lock:
            self._subscribers.discard(sub)

    def close_all(self) -> int:
        """End every open watch; returns how many there were."""
        with self._subs_lock:
            subs = list(self._subscribers)
        for sub in subs:
            sub.close()
        return len(subs)

    def close_key(self, storage_key: tuple[str, str]) -> None:
        """End the watches of one resource (its CRD was deleted, so it is no longer served)."""
        with self._subs_lock:
            subs = [s for s in self._subscribers if s.storage_key == storage_key]
        for sub in subs:
            sub.close()

    def compact(self, current_rv: int) -> None:
        """Forget all history, so a watch from any older resourceVersion gets 410."""
        self._history.clear()
        self.compacted_rv = current_rv

    @property
    def open_watches(self) -> int:
        """How many watches are open now."""
        with self._subs_lock:
            return len(self._subscribers)
