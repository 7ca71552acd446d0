"""From Kubernetes changes to queued keys, and the shared object cache in Redis.

:class:`~reconciler.watch.watcher.Watcher` runs, on the elected leader, one list/watch loop
(:mod:`.source`) per resource of every controller; events are plain dicts (:mod:`.events`),
filtered by :mod:`.predicates`, mapped to keys by :mod:`.mapping`, written to the shared
cache (:mod:`.cache`) and then added to the controller's work queue. Workers read objects
back with :class:`~reconciler.watch.reader.CacheReader`. See ``docs/watcher.md``.
"""

from reconciler.watch.cache import ObjectCache
from reconciler.watch.events import Event, OldState
from reconciler.watch.predicates import (
    Predicate,
    all_of,
    annotations_changed,
    any_of,
    generation_changed,
    label_selector,
    labels_changed,
    not_,
)
from reconciler.watch.reader import CacheReader
from reconciler.watch.source import WatchConfig
from reconciler.watch.watcher import Watcher

__all__ = [
    "CacheReader",
    "Event",
    "ObjectCache",
    "OldState",
    "Predicate",
    "WatchConfig",
    "Watcher",
    "all_of",
    "annotations_changed",
    "any_of",
    "generation_changed",
    "label_selector",
    "labels_changed",
    "not_",
]
