"""The dispatcher moves ready keys to the publisher, under a global cap on leased keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from redis import Redis

from reconciler import errors
from reconciler.dispatch import Dispatcher
from reconciler.queue import Lease, WorkQueue

pytestmark = pytest.mark.integration


def test_dispatch_respects_max_in_flight_across_dispatchers(
    real_redis: Redis, key_prefix: str
) -> None:
    """Two dispatchers together never have more than max_in_flight keys leased."""
    queue = WorkQueue(real_redis, "disp", prefix=key_prefix)
    queue.add_many([f"ns/k{i}" for i in range(20)])
    published: list[Lease] = []
    one = Dispatcher(queue, published.extend, max_in_flight=5, batch=4)
    two = Dispatcher(WorkQueue(real_redis, "disp", prefix=key_prefix), published.extend,
                     max_in_flight=5, batch=4)
    assert one.run_once(timeout=0) == 4
    assert two.run_once(timeout=0) == 1
    assert one.run_once(timeout=0) == 0
    assert [lease.key for lease in published] == [f"ns/k{i}" for i in range(5)]
    assert queue.done(published[0])
    assert two.run_once(timeout=0) == 1 and published[-1].key == "ns/k5"


def test_publish_failure_requeues_with_backoff(real_redis: Redis, key_prefix: str) -> None:
    """If the broker refuses, the keys go back with a rate-limited requeue, none is lost."""
    queue = WorkQueue(real_redis, "fail", prefix=key_prefix)
    queue.add_many(["ns/a", "ns/b"])

    def broken(leases: Sequence[Lease]) -> None:
        raise ConnectionError("broker down")

    assert Dispatcher(queue, broken).run_once(timeout=0) == 0
    stats = queue.stats()
    assert (stats.leased, stats.delayed, stats.failing) == (0, 2, 2)


def test_a_release_wakes_a_capped_dispatcher(real_redis: Redis, key_prefix: str) -> None:
    """A dispatcher waiting at the cap resumes as soon as a lease is released."""
    queue = WorkQueue(real_redis, "wake", prefix=key_prefix)
    queue.add_many(["ns/a", "ns/b"])
    published: list[Lease] = []
    dispatcher = Dispatcher(queue, published.extend, max_in_flight=1)
    assert dispatcher.run_once(timeout=0) == 1
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(dispatcher.run_once(timeout=5)))
    thread.start()
    blocked_until = time.monotonic() + 5
    while not any(c.get("cmd") == "blpop" for c in real_redis.client_list()):
        assert time.monotonic() < blocked_until, "the dispatcher never started waiting"
    released_at = time.monotonic()
    queue.done(published[0])
    thread.join(6)
    assert result == [1] and published[-1].key == "ns/b"
    assert time.monotonic() - released_at < 0.5, "the dispatcher waited out its poll interval"


def test_bad_settings_are_refused(fake_redis: Redis) -> None:
    """max_in_flight and batch must be positive integers."""
    queue = WorkQueue(fake_redis, "x")
    with pytest.raises(errors.ConfigError, match="max_in_flight"):
        Dispatcher(queue, lambda leases: None, max_in_flight=0)
    with pytest.raises(errors.ConfigError, match="batch"):
        Dispatcher(queue, lambda leases: None, batch=0)
