"""Tests of reconciler.watch.cache and .reader: entries, tombstones, never going back, and
the reader's hit / fallback rules, against a real Redis and the embedded API server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kubernetes import client
from redis import Redis

from reconciler.controller import Controller, Resource
from reconciler.watch import CacheReader, ObjectCache, Watcher
from reconciler.watch.cache import resource_id

CONFIGMAPS = Resource("v1", "configmaps")


def noop(*_: Any) -> None:
    """A reconcile function (never called)."""


def obj(name: str, rv: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}


def test_entries_never_go_back_and_tombstones_expire(real_redis: Redis, key_prefix: str) -> None:
    """An older resourceVersion cannot replace a newer one; a deletion leaves a tombstone with
    a TTL and removes the key from the index."""
    cache = ObjectCache(real_redis, "v1:cm:*:", prefix=key_prefix, tombstone_seconds=60)
    cache.put_many([("ns/a", "10", obj("a", "10"))])
    cache.put_many([("ns/a", "9", obj("a", "9"))])
    entry = cache.read("ns/a")
    assert entry is not None and entry[0] == "10" and json.loads(entry[1]) == obj("a", "10")
    assert cache.keys() == {"ns/a"}
    cache.put_many([("ns/a", "11", None)])
    assert cache.read("ns/a") == ("11", "")
    assert 0 < real_redis.pttl(cache.entry_key("ns/a")) <= 60_000
    assert cache.keys() == set()
    cache.put_many([("ns/a", "12", obj("a", "12"))])
    assert real_redis.pttl(cache.entry_key("ns/a")) == -1


def test_reader_is_at_least_as_new_as_the_queued_event(  # noqa: PLR0917 - fixtures
        start_watcher: Callable[..., Watcher], core: client.CoreV1Api, api: client.ApiClient,
        real_redis: Redis, key_prefix: str, namespace: str,
        collect: Callable[..., set[str]]) -> None:
    """Whenever a key is leased, the reader returns a state at least as new as the change
    that queued it, from the cache without calling the API server."""
    ctl = Controller("cms", CONFIGMAPS, noop, namespace=namespace)
    watcher = start_watcher(ctl)
    reader = CacheReader(real_redis, api, ctl, prefix=key_prefix)
    queue = watcher.queue("cms")
    for i in range(20):
        written = core.create_namespaced_config_map(
            namespace, {"metadata": {"name": f"o{i}"}, "data": {"i": str(i)}}
        ) if i < 10 else core.patch_namespaced_config_map(f"o{i - 10}", namespace,
                                                          {"data": {"i": str(i)}})
        key = f"{namespace}/{written.metadata.name}"
        collect(queue, {key})
        got = reader.get(key)
        assert got is not None
        assert int(got["metadata"]["resourceVersion"]) >= int(written.metadata.resource_version)
    assert reader.stats.fallbacks == 0 and reader.stats.hits == 20


def test_reader_falls_back_to_the_api(api: client.ApiClient, core: client.CoreV1Api,
                                      real_redis: Redis, key_prefix: str,
                                      namespace: str) -> None:
    """A missing entry or one older than min_resource_version is read from the API server;
    a missing object is None; a tombstone is None without a call."""
    ctl = Controller("cms", CONFIGMAPS, noop, namespace=namespace)
    reader = CacheReader(real_redis, api, ctl, prefix=key_prefix)
    live = core.create_namespaced_config_map(namespace, {"metadata": {"name": "live"},
                                                         "data": {"v": "api"}})
    key = f"{namespace}/live"
    assert reader.get(key)["data"] == {"v": "api"}  # type: ignore[index]
    assert reader.get(f"{namespace}/absent") is None
    assert reader.stats.fallbacks == 2
    cache = ObjectCache(real_redis, resource_id(CONFIGMAPS, namespace), prefix=key_prefix)
    stale = {"metadata": {"name": "live", "namespace": namespace, "resourceVersion": "1"},
             "data": {"v": "stale"}}
    cache.put_many([(key, "1", stale)])
    assert reader.get(key)["data"] == {"v": "stale"}  # type: ignore[index]
    fresh = reader.get(key, min_resource_version=live.metadata.resource_version)
    assert fresh is not None and fresh["data"] == {"v": "api"}
    cache.put_many([(f"{namespace}/dead", "5", None)])
    before = reader.stats.fallbacks
    assert reader.get(f"{namespace}/dead") is None
    assert reader.stats.fallbacks == before and reader.stats.tombstones == 1
