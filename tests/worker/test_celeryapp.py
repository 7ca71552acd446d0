"""Real ``celery worker`` processes reconcile keys from the Redis work queue, with
client-go's guarantees and controller-runtime's outcomes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from reconciler.queue import WorkQueue
from reconciler.testing.waiting import wait_until
from reconciler.worker import settings
from reconciler.worker.celeryapp import create_celery_app, task_name

HERE = Path(__file__).parent
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def workers(
    redis_url: str, key_prefix: str, real_redis: Redis
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two worker nodes of two processes each, on the test's own queue and broker keys."""
    env = {**os.environ, "SAMPLE_REDIS_URL": redis_url, "SAMPLE_PREFIX": key_prefix}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sampleapp", "worker", "-c", "2",
             "-n", f"w{i}@%h", "--without-mingle", "--without-gossip", "-l", "warning"],
            cwd=HERE, env=env,
        )
        for i in range(2)
    ]
    yield procs
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def finished(redis: Redis, prefix: str) -> list[str]:
    return list(redis.lrange(f"{prefix}:test:finished", 0, -1))


def test_workers_reconcile_every_key_once_without_overlap(
    workers: list[subprocess.Popen[bytes]], real_redis: Redis, key_prefix: str
) -> None:
    """40 keys added 3 times each are reconciled once each, never two at once."""
    queue = WorkQueue(real_redis, "sample", prefix=key_prefix)
    keys = [f"ns/slow-{i}" if i % 4 == 0 else f"ns/obj-{i}" for i in range(40)]
    for _ in range(3):
        queue.add_many(keys)
    wait_until(lambda: len(finished(real_redis, key_prefix)) >= 40, timeout=60,
             what="40 reconciles")
    wait_until(lambda: queue.stats().leased == 0, timeout=10, what="all leases released")
    assert sorted(finished(real_redis, key_prefix)) == sorted(keys)
    assert real_redis.smembers(f"{key_prefix}:test:overlaps") == set()


def test_a_key_changed_during_its_reconcile_runs_again(
    workers: list[subprocess.Popen[bytes]], real_redis: Redis, key_prefix: str
) -> None:
    """A change that arrives while the key is reconciled makes it run once more afterwards."""
    queue = WorkQueue(real_redis, "sample", prefix=key_prefix)
    queue.add("ns/self-change-1")
    wait_until(lambda: finished(real_redis, key_prefix).count("ns/self-change-1") == 2,
             timeout=30, what="the second run of ns/self-change-1")
    wait_until(lambda: queue.stats().leased == 0, timeout=10, what="the lease released")
    assert queue.stats().pending == 0
    assert real_redis.smembers(f"{key_prefix}:test:overlaps") == set()


def test_a_worker_killed_mid_reconcile_loses_nothing(
    workers: list[subprocess.Popen[bytes]], real_redis: Redis, key_prefix: str
) -> None:
    """A pool process SIGKILLed during a reconcile: the key runs again and completes."""
    queue = WorkQueue(real_redis, "sample", prefix=key_prefix)
    queue.add_many(["ns/crash-1", "ns/obj-1"])
    wait_until(lambda: "ns/crash-1" in finished(real_redis, key_prefix), timeout=60,
             what="ns/crash-1 to complete after its worker was killed")
    assert int(real_redis.hget(f"{key_prefix}:test:started", "ns/crash-1") or 0) == 2
    assert "ns/obj-1" in finished(real_redis, key_prefix)


def test_failures_are_retried_with_backoff_then_forgotten(
    workers: list[subprocess.Popen[bytes]], real_redis: Redis, key_prefix: str
) -> None:
    """A reconcile that fails twice runs a third time, then its backoff is reset."""
    queue = WorkQueue(real_redis, "sample", prefix=key_prefix)
    queue.add("ns/fail-1")
    wait_until(lambda: "ns/fail-1" in finished(real_redis, key_prefix), timeout=30,
             what="ns/fail-1 to succeed on its third run")
    assert int(real_redis.hget(f"{key_prefix}:test:started", "ns/fail-1") or 0) == 3
    wait_until(lambda: queue.num_requeues("ns/fail-1") == 0, timeout=5, what="forget")


def test_the_app_is_safe_by_default(redis_url: str) -> None:
    """JSON only, late acks, prefetch 1, no result backend, one task per controller."""

    class Named:
        name = "mysql"

        @staticmethod
        def reconcile(ctx: object, request: object) -> None:
            return None

    app = create_celery_app([Named()], redis_url=redis_url, dispatch=False)
    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1 and conf.result_backend is None
    assert conf.broker_transport_options["visibility_timeout"] >= settings.DEFAULT_TIME_LIMIT
    task = app.tasks[task_name("mysql")]
    assert task.name == "reconcile.mysql" and task.acks_late and task.time_limit


def test_duplicate_controller_names_are_refused(redis_url: str) -> None:
    """Two controllers with one name would share a queue: refused at start-up."""
    from reconciler import errors

    class Named:
        name = "dup"
        reconcile = staticmethod(lambda ctx, request: None)

    with pytest.raises(errors.ConfigError, match="unique"):
        create_celery_app([Named(), Named()], redis_url=redis_url)
