"""Process-level tests of ``reconciler watch`` (reconciler.cli.watch) with leader election:
real watcher processes, the embedded API server, real Redis; kill -9, SIGTERM, SIGSTOP and
a flushed (private) Redis."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from redis import Redis

from reconciler import redisconn
from reconciler.queue import WorkQueue
from reconciler.testing.apiserver import ApiServer
from reconciler.testing.redisserver import EmbeddedRedis
from reconciler.testing.waiting import wait_until

HERE = Path(__file__).resolve().parent
_names = itertools.count()
LEASE, RENEW, RETRY = 2.0, 1.5, 0.2

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    """One embedded API server for the module."""
    with ApiServer(bookmark_interval=0.2) as srv:
        yield srv


@pytest.fixture
def core(server: ApiServer) -> Iterator[client.CoreV1Api]:
    """The official client's core/v1 API."""
    with client.ApiClient(server.client_configuration()) as api:
        yield client.CoreV1Api(api)


@pytest.fixture
def namespace(core: client.CoreV1Api) -> str:
    """A fresh namespace with five ConfigMaps, o0..o4."""
    name = f"p{next(_names)}-{os.getpid()}"
    core.create_namespace({"metadata": {"name": name}})
    for i in range(5):
        core.create_namespaced_config_map(name, {"metadata": {"name": f"o{i}"}})
    return name


class Watchers:
    """Starts ``python -m reconciler.cli.watch`` processes and kills them after the test."""

    def __init__(self, server: ApiServer, tmp_path: Path, namespace: str) -> None:
        self.kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        self.tmp_path, self.namespace = tmp_path, namespace
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, identity: str, *, redis_url: str, prefix: str, lease: float = LEASE,
              renew: float = RENEW, app: str = "watchapp:app") -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(HERE), "WATCHAPP_NAMESPACE": self.namespace}
        log = (self.tmp_path / f"{identity}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler.cli.watch", "--app", app,
             "--redis-url", redis_url, "--kubeconfig", str(self.kubeconfig),
             "--prefix", prefix, "--identity", identity, "--lease", str(lease),
             "--renew-deadline", str(renew), "--retry", str(RETRY)],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs[identity] = proc
        return proc

    def log(self, identity: str) -> str:
        return (self.tmp_path / f"{identity}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {i}:\n{self.log(i)[-3000:]}" for i in self.procs)

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
            proc.wait(10)


@pytest.fixture
def watchers(server: ApiServer, tmp_path: Path, namespace: str) -> Iterator[Watchers]:
    """The process launcher; every process is killed after the test."""
    launcher = Watchers(server, tmp_path, namespace)
    yield launcher
    launcher.close()


def wait_for(check: Callable[[], Any], *, timeout: float, what: str,
             logs: Callable[[], str] = lambda: "") -> Any:
    """Poll ``check`` every 10 ms until truthy; fail naming ``what`` (and the logs)."""
    return wait_until(check, timeout=timeout, what=lambda: f"{what}\n{logs()}", interval=0.01)


def holder(redis: Redis, prefix: str) -> str | None:
    """The identity holding the watchapp lock, or None."""
    value = redis.get(f"{prefix}:leader:{{watchapp}}:lock")
    return None if value is None else str(value).split(" ")[0]


def queued(queue: WorkQueue, seen: set[str]) -> set[str]:
    """Drain ``queue`` into ``seen`` and return it."""
    while leases := queue.get_batch(1000, timeout=0):
        seen.update(lease.key for lease in leases)
        queue.done_many(leases)
    return seen


def start_pair(watchers: Watchers, redis: Redis, redis_url: str, prefix: str,
               **kw: float) -> tuple[str, str]:
    """Start two watchers; returns (leader, standby) once the leader synced and the standby
    stands for election."""
    for who in ("a", "b"):
        watchers.spawn(who, redis_url=redis_url, prefix=prefix, **kw)
    leader = wait_for(lambda: holder(redis, prefix), timeout=20, what="a leader",
                      logs=watchers.logs)
    standby = "b" if leader == "a" else "a"
    wait_for(lambda: "stands for election" in watchers.log(standby), timeout=20,
             what="the standby to stand for election", logs=watchers.logs)
    keys = {f"{watchers.namespace}/o{i}" for i in range(5)}
    seen: set[str] = set()
    queue = WorkQueue(redis, "cms", prefix=prefix)
    wait_for(lambda: keys <= queued(queue, seen), timeout=20, what="the initial list",
             logs=watchers.logs)
    return leader, standby


def test_kill_9_standby_leads_within_ttl_and_misses_no_change(  # noqa: PLR0917 - fixtures
        watchers: Watchers, core: client.CoreV1Api, namespace: str, real_redis: Redis,
        redis_url: str, key_prefix: str) -> None:
    """After kill -9 of the leader the standby leads within lease + retry, and every object
    changed, created or deleted during the failover is queued."""
    leader, standby = start_pair(watchers, real_redis, redis_url, key_prefix)
    watchers.procs[leader].kill()
    killed_at = time.monotonic()
    core.patch_namespaced_config_map("o1", namespace, {"data": {"x": "1"}})
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "new"}})
    core.delete_namespaced_config_map("o2", namespace)
    wait_for(lambda: holder(real_redis, key_prefix) == standby, timeout=10,
             what="the standby to lead", logs=watchers.logs)
    took = time.monotonic() - killed_at
    assert took <= LEASE + 1.2 * RETRY + 0.5, f"take-over took {took:.2f}s"
    changed = {f"{namespace}/{n}" for n in ("o1", "new", "o2")}
    seen: set[str] = set()
    queue = WorkQueue(real_redis, "cms", prefix=key_prefix)
    wait_for(lambda: changed <= queued(queue, seen), timeout=10,
             what=f"the failover's changes {sorted(changed)}", logs=watchers.logs)


def test_sigterm_hands_over_well_under_the_ttl(
        watchers: Watchers, real_redis: Redis, redis_url: str, key_prefix: str) -> None:
    """SIGTERM releases the lock: the standby leads in well under the 5 s lease and the old
    leader exits 0."""
    leader, standby = start_pair(watchers, real_redis, redis_url, key_prefix, lease=5.0,
                                 renew=4.0)
    watchers.procs[leader].terminate()
    sent = time.monotonic()
    wait_for(lambda: holder(real_redis, key_prefix) == standby, timeout=10,
             what="the standby to lead", logs=watchers.logs)
    took = time.monotonic() - sent
    assert took < 1.5, f"hand-over took {took:.2f}s"
    assert watchers.procs[leader].wait(10) == 0, watchers.logs()


def test_paused_leader_is_fenced_and_exits_non_zero(  # noqa: PLR0917 - fixtures
        watchers: Watchers, core: client.CoreV1Api, namespace: str, real_redis: Redis,
        redis_url: str, key_prefix: str) -> None:
    """A leader paused (SIGSTOP) past its lease is deposed; resumed (SIGCONT) it makes no
    write that lands and exits 1, while the new leader's epoch fences its queue."""
    leader, standby = start_pair(watchers, real_redis, redis_url, key_prefix)
    old = watchers.procs[leader]
    old_epoch = int(str(real_redis.get(f"{key_prefix}:leader:{{watchapp}}:lock")).split()[1])
    old.send_signal(signal.SIGSTOP)
    wait_for(lambda: holder(real_redis, key_prefix) == standby, timeout=10,
             what="the standby to lead", logs=watchers.logs)
    queue = WorkQueue(real_redis, "cms", prefix=key_prefix)
    wait_for(lambda: int(real_redis.hget(queue.keys[7], "fence") or 0) > old_epoch,
             timeout=10, what="the new leader to raise the fence", logs=watchers.logs)
    core.patch_namespaced_config_map("o3", namespace, {"data": {"while": "paused"}})
    old.send_signal(signal.SIGCONT)
    assert old.wait(10) == 1, watchers.logs()
    log = watchers.log(leader)
    assert "FencedError" in log or "renew deadline" in log or "deposed" in log, log
    assert holder(real_redis, key_prefix) == standby
    assert watchers.procs[standby].poll() is None, watchers.logs()


def test_fenced_queue_write_stops_the_leader(  # noqa: PLR0917 - fixtures
        watchers: Watchers, core: client.CoreV1Api, namespace: str, real_redis: Redis,
        redis_url: str, key_prefix: str) -> None:
    """A leader whose queue fence was raised past its epoch (a newer term wrote) has its next
    queue write refused with FencedError, stops and exits 1; the key it tried is not queued."""
    leader, _ = start_pair(watchers, real_redis, redis_url, key_prefix)
    epoch = int(str(real_redis.get(f"{key_prefix}:leader:{{watchapp}}:lock")).split()[1])
    queue = WorkQueue(real_redis, "cms", prefix=key_prefix)
    queue.raise_fence(epoch + 1)
    core.patch_namespaced_config_map("o4", namespace, {"data": {"after": "fence"}})
    assert watchers.procs[leader].wait(10) == 1, watchers.logs()
    assert "FencedError" in watchers.log(leader), watchers.log(leader)
    assert not queue.inspect(f"{namespace}/o4").ready


def test_flushed_redis_makes_the_leader_relist(watchers: Watchers, namespace: str) -> None:
    """FLUSHALL of (a private) Redis under a running leader starts a new term with a larger
    epoch and a full relist that queues every object again."""
    with EmbeddedRedis() as private:
        redis = redisconn.connect(private.url)
        leader = watchers.spawn("solo", redis_url=private.url, prefix="flush")
        wait_for(lambda: holder(redis, "flush") == "solo", timeout=20, what="a leader",
                 logs=watchers.logs)
        keys = {f"{namespace}/o{i}" for i in range(5)}
        queue = WorkQueue(redis, "cms", prefix="flush")
        seen: set[str] = set()
        wait_for(lambda: keys <= queued(queue, seen), timeout=20, what="the initial list",
                 logs=watchers.logs)
        epoch = int(str(redis.get("flush:leader:{watchapp}:lock")).split()[1])
        redis.flushall()
        seen.clear()
        wait_for(lambda: keys <= queued(queue, seen), timeout=10,
                 what="a full relist after FLUSHALL", logs=watchers.logs)
        new_epoch = int(str(redis.get("flush:leader:{watchapp}:lock")).split()[1])
        assert new_epoch > epoch
        assert leader.poll() is None, watchers.logs()
        redis.close()


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("watchapp:bad_app", "controller 'broken': field 'owns[0]'"),
        ("watchapp:not_an_app", "is not a reconciler Application"),
        ("no_such_module_xyz", "cannot import"),
    ],
)
def test_bad_applications_fail_at_start_up(watchers: Watchers, redis_url: str,
                                           key_prefix: str, app: str, message: str) -> None:
    """A bad --app exits 2 with a message naming what is wrong."""
    proc = watchers.spawn("bad", redis_url=redis_url, prefix=key_prefix, app=app)
    assert proc.wait(30) == 2
    assert message in watchers.log("bad"), watchers.log("bad")
