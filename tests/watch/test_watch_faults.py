"""Tests of the watcher under injected API faults: cut watches, compaction (410), 500 and
429 bursts, and stalled streams. Every changed key must be queued and no unchanged one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kubernetes import client

from reconciler.controller import Controller, Resource
from reconciler.testing.apiserver import ApiServer
from reconciler.watch import WatchConfig, Watcher

CONFIGMAPS = Resource("v1", "configmaps")


def noop(*_: Any) -> None:
    """A reconcile function (never called by the watcher)."""


def requests(server: ApiServer, verb: str, namespace: str) -> int:
    """How many ``verb`` requests for configmaps in ``namespace`` the server received."""
    return sum(1 for r in server.faults.requests
               if r.verb == verb and r.resource == "configmaps" and r.namespace == namespace)


def settle(core: client.CoreV1Api, namespace: str, collect: Callable[..., set[str]],
           watcher: Watcher) -> set[str]:
    """Touch a sentinel object and drain until its key arrives (the watcher processes events
    in order, so everything it would enqueue before it is then in the queue); returns the
    other keys that were drained on the way."""
    name = f"sentinel-{time.monotonic_ns()}"
    core.create_namespaced_config_map(namespace, {"metadata": {"name": name}})
    return collect(watcher.queue("cms"), {f"{namespace}/{name}"}) - {f"{namespace}/{name}"}


def start(start_watcher: Callable[..., Watcher], core: client.CoreV1Api, namespace: str,
          collect: Callable[..., set[str]], names: list[str]) -> Watcher:
    for name in names:
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name}})
    watcher = start_watcher(Controller("cms", CONFIGMAPS, noop, namespace=namespace))
    collect(watcher.queue("cms"), {f"{namespace}/{n}" for n in names})
    return watcher


def test_cut_watches_resume_without_relisting(  # noqa: PLR0917 - fixtures
        server: ApiServer, start_watcher: Callable[..., Watcher], core: client.CoreV1Api,
        namespace: str, collect: Callable[..., set[str]],
        wait_until: Callable[..., Any]) -> None:
    """After watches are cut, changes made meanwhile are queued, unchanged keys are not, and
    the watcher resumes from its resourceVersion instead of listing again."""
    watcher = start(start_watcher, core, namespace, collect, ["a", "b", "c"])
    lists = requests(server, "list", namespace)
    for _ in range(3):
        wait_until(lambda: server.open_watches > 0, what="a reopened watch")
        server.faults.cut_watches()
        core.patch_namespaced_config_map("b", namespace, {"data": {"t": str(time.time())}})
    assert settle(core, namespace, collect, watcher) == {f"{namespace}/b"}
    assert requests(server, "list", namespace) == lists, "a cut watch caused a relist"


def test_compaction_relists_and_finds_deletions(  # noqa: PLR0917 - fixtures
        server: ApiServer, start_watcher: Callable[..., Watcher], core: client.CoreV1Api,
        namespace: str, collect: Callable[..., set[str]],
        wait_until: Callable[..., Any]) -> None:
    """Changes made while watches fail, then history compacted: the 410 relist queues the
    changed, created and deleted keys, and not the unchanged one."""
    watcher = start(start_watcher, core, namespace, collect, ["same", "changed", "gone"])
    server.faults.fail(500, verb="watch", resource="configmaps", fraction=1.0)
    server.faults.cut_watches()
    core.patch_namespaced_config_map("changed", namespace, {"data": {"x": "1"}})
    core.delete_namespaced_config_map("gone", namespace)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "new"}})
    server.faults.compact()
    lists = requests(server, "list", namespace)
    server.faults.clear()
    keys = settle(core, namespace, collect, watcher)
    assert keys == {f"{namespace}/{n}" for n in ("changed", "gone", "new")}
    assert requests(server, "list", namespace) == lists + 1
    entry = watcher.primaries["cms"].cache.read(f"{namespace}/gone")
    assert entry is not None and entry[1] == "", "no tombstone for the deleted object"


def test_500_bursts_back_off_and_recover(  # noqa: PLR0917 - fixtures
        server: ApiServer, start_watcher: Callable[..., Watcher], core: client.CoreV1Api,
        namespace: str, collect: Callable[..., set[str]],
        wait_until: Callable[..., Any]) -> None:
    """Under a second of failing watches the watcher retries with backoff (not in a tight
    loop) and queues the change made meanwhile once the server recovers."""
    watcher = start(start_watcher, core, namespace, collect, ["a", "b"])
    before = requests(server, "watch", namespace)
    server.faults.fail(500, verb="watch", resource="configmaps", fraction=1.0)
    server.faults.cut_watches()
    core.patch_namespaced_config_map("a", namespace, {"data": {"x": "1"}})
    time.sleep(1.0)  # a window in which to count retries, not a synchronisation
    attempts = requests(server, "watch", namespace) - before
    server.faults.clear()
    assert 2 <= attempts <= 15, f"{attempts} watch attempts in 1 s"
    assert settle(core, namespace, collect, watcher) == {f"{namespace}/a"}


def test_429_retry_after_is_honoured(server: ApiServer, start_watcher: Callable[..., Watcher],
                                     core: client.CoreV1Api, namespace: str,
                                     collect: Callable[..., set[str]]) -> None:
    """A 429 with Retry-After: 1 delays the next watch by at least a second; then the change
    made meanwhile is queued."""
    watcher = start(start_watcher, core, namespace, collect, ["a"])
    before = requests(server, "watch", namespace)
    server.faults.fail(429, verb="watch", resource="configmaps", times=1, retry_after=1)
    cut_at = time.monotonic()
    server.faults.cut_watches()
    core.patch_namespaced_config_map("a", namespace, {"data": {"x": "1"}})
    collect(watcher.queue("cms"), {f"{namespace}/a"})
    assert time.monotonic() - cut_at >= 1.0
    assert requests(server, "watch", namespace) - before == 2


def test_stalled_stream_is_restarted(api: client.ApiClient, real_redis: Any, key_prefix: str,
                                     collect: Callable[..., set[str]],
                                     wait_until: Callable[..., Any]) -> None:
    """A watch silent for longer than stall_timeout (no bookmarks) is restarted, and events
    after the restart are still queued."""
    from reconciler.controller import Application

    with ApiServer(bookmark_interval=3600) as quiet, \
            client.ApiClient(quiet.client_configuration()) as quiet_api:
        core = client.CoreV1Api(quiet_api)
        config = WatchConfig(stall_timeout=0.3, backoff_initial=0.05, backoff_max=0.2)
        watcher = Watcher(Application("t", [Controller("cms", CONFIGMAPS, noop,
                                                       namespace="default")]),
                          real_redis, quiet_api, epoch=None, prefix=key_prefix, config=config)
        try:
            watcher.start()
            assert watcher.wait_synced(5)
            wait_until(lambda: requests(quiet, "watch", "default") >= 3,
                       what="the stalled watch to be restarted twice")
            core.create_namespaced_config_map("default", {"metadata": {"name": "late"}})
            collect(watcher.queue("cms"), {"default/late"})
        finally:
            watcher.stop()
