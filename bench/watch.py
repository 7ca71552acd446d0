"""Watcher throughput, initial sync, Redis memory per cached object and RSS, with baselines.

    .venv/bin/python bench/watch.py [--objects 10000] [--big 100000] [--updates 10000]

Everything runs against the embedded API server (in this process) and a private embedded
Redis (so memory figures are not polluted by other data). Baselines, same run, same objects:

* initial sync vs. a paged list (500 a page) with the official client's typed API
  (``CoreV1Api.list_namespaced_config_map``), which is what an informer-based watcher pays;
* events vs. ``kubernetes.watch.Watch().stream`` receiving the same replayed events as model
  objects, without doing anything with them;
* the leading watcher process's RSS vs. an idle standby's (same code, nothing watched).

Events are measured by replay: watches are failed (500) while ``--updates`` changes are made,
then allowed again, so both the watcher and the baseline receive the same burst from the
server's history. Each event is: decode, cache write (Lua), key added to the queue.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kubernetes import client, watch

from reconciler import redisconn
from reconciler.controller import Application, Controller, Resource
from reconciler.queue import WorkQueue
from reconciler.testing.apiserver import ApiServer
from reconciler.testing.redisserver import EmbeddedRedis
from reconciler.watch import WatchConfig, Watcher

APP = '''
from reconciler.controller import Application, Controller, Resource
app = Application("benchapp", [Controller("cms", Resource("v1", "configmaps"), print,
                                          namespace="{ns}")])
'''


def populate(server: ApiServer, namespace: str, count: int) -> float:
    """Create ``count`` ConfigMaps (about 0.5 KB of JSON each) through the store; seconds."""
    rt = server.registry.get("", "v1", "configmaps")
    namespaces = server.registry.get("", "v1", "namespaces")
    assert rt is not None and namespaces is not None
    server.store.create(namespaces, "", {"metadata": {"name": namespace}})
    start = time.perf_counter()
    for i in range(count):
        server.store.create(rt, namespace, {
            "metadata": {"name": f"cm-{i:06d}", "labels": {"app": "bench", "shard": str(i % 16)},
                         "annotations": {"bench/note": "x" * 40}},
            "data": {"config.yaml": f"replicas: {i % 7}\nimage: example/app:{i}\n" * 3},
        })
    return time.perf_counter() - start


def typed_list(api: client.ApiClient, namespace: str) -> tuple[float, int]:
    """The baseline: page through the namespace with the typed client; (seconds, items)."""
    core, items, token = client.CoreV1Api(api), 0, None
    start = time.perf_counter()
    while True:
        page = core.list_namespaced_config_map(namespace, limit=500, _continue=token)
        items += len(page.items)
        token = page.metadata._continue
        if not token:
            return time.perf_counter() - start, items


def sync(app: Application, redis: Any, api: client.ApiClient, prefix: str, expect: int
         ) -> tuple[float, Watcher]:
    """Start a watcher and wait for its first list to be applied; (seconds, watcher)."""
    config = WatchConfig(page_size=500, backoff_initial=0.02, backoff_max=0.1)
    watcher = Watcher(app, redis, api, epoch=1, prefix=prefix, config=config)
    start = time.perf_counter()
    watcher.start()
    if not watcher.wait_synced(1800):
        raise SystemExit(f"watcher did not sync: {watcher.error!r}")
    took = time.perf_counter() - start
    ready = watcher.queue("cms").stats().ready
    if ready != expect:
        raise SystemExit(f"expected {expect} queued keys after sync, found {ready}")
    return took, watcher


def memory(redis: Any, watcher: Watcher, count: int, sample: int = 500) -> dict[str, float]:
    """Bytes per object: cache entry + index member (sampled MEMORY USAGE) and JSON size."""
    cache = watcher.primaries["cms"].cache
    keys = sorted(cache.keys())[:sample]
    entries = [int(redis.memory_usage(cache.entry_key(k), samples=0)) for k in keys]
    raw = [len(str(redis.get(cache.entry_key(k)))) for k in keys]
    index = int(redis.memory_usage(cache.index_key, samples=0))
    return {"entry": sum(entries) / len(entries), "index": index / count,
            "json": sum(raw) / len(raw)}


def events(server: ApiServer, api: client.ApiClient, watcher: Watcher, namespace: str,
           count: int) -> tuple[float, float]:
    """Replay ``count`` updates to the watcher and to the typed baseline; seconds of each."""
    queue: WorkQueue = watcher.queue("cms")
    queue.delete()
    rt = server.registry.get("", "v1", "configmaps")
    assert rt is not None
    server.faults.fail(500, verb="watch", resource="configmaps", fraction=1.0)
    server.faults.cut_watches()
    start_rv = str(server.store.resource_version)
    for i in range(count):
        server.store.patch(rt, namespace, f"cm-{i:06d}", "application/merge-patch+json",
                           {"data": {"n": str(i)}})
    start = time.perf_counter()
    server.faults.clear()
    while queue.stats().ready < count:
        time.sleep(0.005)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    stream = watch.Watch().stream(client.CoreV1Api(api).list_namespaced_config_map, namespace,
                                  resource_version=start_rv, timeout_seconds=600)
    for seen, _ in enumerate(stream, 1):
        if seen == count:
            break
    return ours, time.perf_counter() - start


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def process_rss(server: ApiServer, redis_url: str, redis: Any, namespace: str, count: int
                ) -> tuple[int, int, float]:
    """Leader and standby ``reconciler watch`` processes; (leader KiB, standby KiB, sync s)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "benchapp.py").write_text(APP.format(ns=namespace))
        kubeconfig = server.write_kubeconfig(Path(tmp) / "kubeconfig")
        env = {**os.environ, "PYTHONPATH": tmp}
        procs = []
        start = time.perf_counter()
        queue = WorkQueue(redis, "cms", prefix="rss")
        for who in ("lead", "standby"):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "reconciler.cli.watch", "--app", "benchapp:app",
                 "--redis-url", redis_url, "--kubeconfig", str(kubeconfig), "--prefix", "rss",
                 "--identity", who, "--log-level", "WARNING"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if who == "lead":
                while queue.stats().ready < count:
                    time.sleep(0.05)
                took = time.perf_counter() - start
        time.sleep(3)  # let the standby finish start-up before reading its RSS
        sizes = [rss_kib(p.pid) for p in procs]
        for p in procs:
            p.terminate()
            p.wait(30)
    return sizes[0], sizes[1], took


def run_size(server: ApiServer, api: client.ApiClient, redis_url: str, count: int, *,
             updates: int) -> dict[str, Any]:
    redis = redisconn.connect(redis_url)
    namespace = f"bench{count}"
    result: dict[str, Any] = {"objects": count, "populate_s": populate(server, namespace, count)}
    result["typed_list_s"], listed = typed_list(api, namespace)
    assert listed == count
    app = Application("benchapp", [Controller("cms", Resource("v1", "configmaps"), print,
                                              namespace=namespace)])
    used_before = int(redis.info("memory")["used_memory"])
    result["sync_s"], watcher = sync(app, redis, api, f"b{count}", count)
    result["used_memory_per_object"] = (int(redis.info("memory")["used_memory"]) - used_before
                                        ) / count
    result["memory"] = memory(redis, watcher, count)
    if updates:
        result["events_s"], result["typed_events_s"] = events(server, api, watcher, namespace,
                                                              min(updates, count))
        result["updates"] = min(updates, count)
    watcher.stop()
    lead, standby, took = process_rss(server, redis_url, redis, namespace, count)
    result.update(rss_lead_kib=lead, rss_standby_kib=standby, process_sync_s=took)
    redis.flushall()  # the private server only
    return result


def report(r: dict[str, Any]) -> None:
    n = r["objects"]
    print(f"\n== {n:,} ConfigMaps (created in {r['populate_s']:.1f}s)")
    print(f"initial sync, watcher (list+cache+queue): {r['sync_s']:.2f}s "
          f"({n / r['sync_s']:,.0f} objects/s)")
    print(f"baseline typed paged list:                {r['typed_list_s']:.2f}s "
          f"-> ratio {r['typed_list_s'] / r['sync_s']:.2f} (baseline time / watcher time)")
    print(f"process start to all keys queued (leader): {r['process_sync_s']:.2f}s")
    if "events_s" in r:
        u = r["updates"]
        ours, base = u / r["events_s"], u / r["typed_events_s"]
        print(f"events -> queued keys: {ours:,.0f}/s; typed watch stream only: {base:,.0f}/s "
              f"-> ratio {ours / base:.2f}")
    m = r["memory"]
    print(f"Redis per cached object: entry {m['entry']:.0f} B (JSON {m['json']:.0f} B) + index "
          f"{m['index']:.0f} B; used_memory delta incl. queue {r['used_memory_per_object']:.0f} B")
    print(f"watcher RSS: leader {r['rss_lead_kib'] / 1024:.1f} MiB, idle standby "
          f"{r['rss_standby_kib'] / 1024:.1f} MiB -> "
          f"{(r['rss_lead_kib'] - r['rss_standby_kib']) * 1024 / n:.0f} B per object")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=0, help="a second, larger size (0: skip)")
    parser.add_argument("--updates", type=int, default=10_000)
    args = parser.parse_args()
    with EmbeddedRedis() as redis_server, \
            ApiServer(history_size=max(100_000, args.updates + 10)) as server, \
            client.ApiClient(server.client_configuration()) as api:
        report(run_size(server, api, redis_server.url, args.objects, updates=args.updates))
        if args.big:
            report(run_size(server, api, redis_server.url, args.big, updates=0))


if __name__ == "__main__":
    main()
