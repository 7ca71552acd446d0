"""The work queue's client-go semantics, on fakeredis and on a real Redis server."""

from __future__ import annotations

import math
import threading
import time

import pytest
import redis as redis_lib
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from reconciler import errors
from reconciler.queue import RateLimiter, TokenBucket, WorkQueue
from reconciler.testing.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(any_redis: Redis, key_prefix: str, clock: FakeClock) -> WorkQueue:
    return WorkQueue(any_redis, "ctrl", prefix=key_prefix, clock=clock, lease_seconds=10)


def drain(queue: WorkQueue) -> list[str]:
    leases = queue.get_batch(1000)
    for lease in leases:
        assert queue.done(lease)
    return [lease.key for lease in leases]


def test_add_is_stingy(queue: WorkQueue) -> None:
    """A key added many times before it is taken is queued once."""
    assert queue.add("ns/a") is True
    assert queue.add("ns/a") is False
    assert queue.len() == 1
    assert drain(queue) == ["ns/a"]
    assert queue.get(timeout=0) is None


def test_keys_come_out_in_the_order_they_were_added(queue: WorkQueue) -> None:
    """Ready keys are leased first-in, first-out."""
    queue.add_many(["ns/c", "ns/a", "ns/b"])
    assert [lease.key for lease in queue.get_batch(3)] == ["ns/c", "ns/a", "ns/b"]


def test_leased_key_is_not_handed_out_again(queue: WorkQueue) -> None:
    """While a key is leased, adding it does not make it available to a second holder."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None
    queue.add("ns/a")
    assert queue.get(timeout=0) is None
    assert queue.inspect("ns/a").dirty


def test_key_added_while_leased_runs_again_once_after_done(queue: WorkQueue) -> None:
    """Adds during a lease are remembered and re-queue the key exactly once at done."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None
    for _ in range(3):
        queue.add("ns/a")
    assert queue.done(lease) is True
    assert drain(queue) == ["ns/a"]
    assert queue.get(timeout=0) is None


def test_done_without_new_adds_leaves_queue_empty(queue: WorkQueue) -> None:
    """A key not added during its lease is not re-queued by done."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None and queue.done(lease)
    assert queue.stats().pending == 0 and queue.stats().leased == 0


def test_add_after_keeps_the_earliest_time(queue: WorkQueue, clock: FakeClock) -> None:
    """A later add_after never postpones a key that is due sooner; a sooner one advances it."""
    queue.add_after("ns/a", 5)
    queue.add_after("ns/a", 10)
    assert queue.inspect("ns/a").delayed_until == pytest.approx(clock() + 5)
    queue.add_after("ns/a", 2)
    assert queue.inspect("ns/a").delayed_until == pytest.approx(clock() + 2)
    clock.advance(1.999)
    assert queue.get(timeout=0) is None
    clock.advance(0.001)
    lease = queue.get(timeout=0)
    assert lease is not None and lease.key == "ns/a"


def test_add_makes_a_delayed_key_ready_now(queue: WorkQueue) -> None:
    """add on a delayed key moves it to ready at once and drops the delay."""
    queue.add_after("ns/a", 60)
    assert queue.add("ns/a") is True
    state = queue.inspect("ns/a")
    assert state.ready and state.delayed_until is None


def test_add_after_on_a_ready_key_changes_nothing(queue: WorkQueue) -> None:
    """A ready key is already as early as it can be."""
    queue.add("ns/a")
    assert queue.add_after("ns/a", 5) is False
    assert queue.inspect("ns/a").ready


def test_add_after_zero_is_add(queue: WorkQueue) -> None:
    """A zero delay makes the key ready now."""
    queue.add_after("ns/a", 0)
    assert queue.len() == 1


def test_delayed_keys_become_ready_in_due_order(queue: WorkQueue, clock: FakeClock) -> None:
    """Delayed keys join the ready line in the order of their due times, before later adds."""
    queue.add_after("ns/late", 3)
    queue.add_after("ns/early", 1)
    clock.advance(5)
    queue.add("ns/now")
    assert drain(queue) == ["ns/early", "ns/late", "ns/now"]


def test_add_after_during_lease_runs_after_done_and_delay(
    queue: WorkQueue, clock: FakeClock
) -> None:
    """A delayed add during a lease waits for both the delay and the lease."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None
    queue.add_after("ns/a", 2)
    assert queue.done(lease)
    assert queue.get(timeout=0) is None
    clock.advance(2)
    assert drain(queue) == ["ns/a"]


def test_rate_limited_backoff_doubles_caps_and_forgets(any_redis: Redis, key_prefix: str) -> None:
    """Per-key delays go base, 2*base, 4*base ... up to the cap; forget starts over."""
    clock = FakeClock()
    limiter = RateLimiter(base_delay=0.005, max_delay=0.03)
    queue = WorkQueue(any_redis, "rl", prefix=key_prefix, clock=clock, rate_limiter=limiter)
    delays = []
    for _ in range(5):
        delays.append(queue.add_rate_limited("ns/a"))
        clock.advance(1)
        drain(queue)
    assert delays == [0.005, 0.01, 0.02, 0.03, 0.03]
    assert queue.num_requeues("ns/a") == 5
    queue.forget("ns/a")
    assert queue.num_requeues("ns/a") == 0
    assert queue.add_rate_limited("ns/a") == 0.005


def test_rate_limited_add_delays_the_key(queue: WorkQueue, clock: FakeClock) -> None:
    """A rate-limited key is not ready before its backoff elapses."""
    delay = queue.add_rate_limited("ns/a")
    assert queue.get(timeout=0) is None
    clock.advance(delay)
    assert drain(queue) == ["ns/a"]


def test_token_bucket_takes_the_longer_delay(any_redis: Redis, key_prefix: str) -> None:
    """Past the burst, the overall bucket's wait wins over the tiny per-key backoff."""
    clock = FakeClock()
    limiter = RateLimiter(bucket=TokenBucket(qps=10, burst=2))
    queue = WorkQueue(any_redis, "tb", prefix=key_prefix, clock=clock, rate_limiter=limiter)
    assert queue.add_rate_limited("ns/a") == 0.005
    assert queue.add_rate_limited("ns/b") == 0.005
    assert queue.add_rate_limited("ns/c") == pytest.approx(0.1)
    assert queue.add_rate_limited("ns/d") == pytest.approx(0.2)
    clock.advance(1)  # refills 10 tokens, capped at the burst of 2
    assert queue.add_rate_limited("ns/e") == 0.005


def test_expired_lease_returns_the_key_and_fences_the_old_holder(
    queue: WorkQueue, clock: FakeClock
) -> None:
    """A lease past its deadline is reaped; its holder's done then changes nothing."""
    queue.add("ns/a")
    old = queue.get(timeout=0)
    assert old is not None
    clock.advance(10)
    new = queue.get(timeout=0)
    assert new is not None and new.key == "ns/a" and new.token != old.token
    assert queue.done(old) is False
    assert queue.inspect("ns/a").leased
    assert queue.stats().expired_leases == 1
    assert queue.done(new) is True


def test_extend_keeps_a_lease_alive(queue: WorkQueue, clock: FakeClock) -> None:
    """A heartbeat pushes the deadline; a lost lease cannot be extended."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None
    clock.advance(8)
    assert queue.extend(lease) is True
    clock.advance(8)
    assert queue.get(timeout=0) is None
    assert queue.done(lease) is True
    assert queue.extend(lease) is False


def test_waited_is_the_time_spent_ready(queue: WorkQueue, clock: FakeClock) -> None:
    """A lease reports how long its key sat in the ready line."""
    queue.add("ns/a")
    clock.advance(1.5)
    lease = queue.get(timeout=0)
    assert lease is not None and lease.waited == pytest.approx(1.5)


def test_get_batch_takes_at_most_n(queue: WorkQueue) -> None:
    """get_batch leases up to n keys in one call, oldest first."""
    queue.add_many([f"ns/k{i}" for i in range(5)])
    assert [lease.key for lease in queue.get_batch(3)] == ["ns/k0", "ns/k1", "ns/k2"]
    assert queue.stats().ready == 2 and queue.stats().leased == 3


def test_add_many_counts_only_keys_that_changed_the_queue(queue: WorkQueue) -> None:
    """add_many reports stingy adds: a key already waiting does not count."""
    queue.add("ns/a")
    assert queue.add_many(["ns/a", "ns/b", "ns/b", "ns/c"]) == 2


def test_queues_are_isolated_by_name(any_redis: Redis, key_prefix: str) -> None:
    """Keys added to one controller's queue never show up in another's."""
    one = WorkQueue(any_redis, "one", prefix=key_prefix)
    two = WorkQueue(any_redis, "two", prefix=key_prefix)
    one.add("ns/a")
    assert two.get(timeout=0) is None
    assert one.len() == 1


def test_all_keys_share_one_hash_tag(queue: WorkQueue) -> None:
    """Every key of a queue carries the same {tag}, so the queue fits one Cluster slot."""
    tags = {key[key.index("{") : key.index("}") + 1] for key in queue.keys}
    assert tags == {"{ctrl}"}


def test_fencing_refuses_writes_from_an_older_epoch(queue: WorkQueue) -> None:
    """Once a newer leader wrote, or raised the fence, an older leader's adds are refused."""
    old_leader, new_leader = queue.with_epoch(1), queue.with_epoch(2)
    old_leader.add("ns/a")
    new_leader.add("ns/b")
    with pytest.raises(errors.FencedError, match="epoch 1"):
        old_leader.add("ns/c")
    queue.raise_fence(5)
    with pytest.raises(errors.FencedError):
        new_leader.add_after("ns/d", 1)
    assert [lease.key for lease in queue.get_batch(10)] == ["ns/a", "ns/b"]
    assert queue.stats().delayed == 0


def test_unfenced_writers_are_not_refused(queue: WorkQueue) -> None:
    """Workers, which hold no epoch, can always requeue."""
    queue.raise_fence(9)
    assert queue.add("ns/a") is True
    assert queue.add_rate_limited("ns/b") > 0


@pytest.mark.parametrize(
    ("bad_key", "message"),
    [("", "must not be empty"), ("ns/a\nb", "control character"), (42, "must be a str"),
     (None, "must be a str"), ("a\x00b", "control character")],
)
def test_bad_keys_are_refused_with_a_clear_error(
    queue: WorkQueue, bad_key: object, message: str
) -> None:
    """An unusable key raises InvalidKeyError naming the fault, and writes nothing."""
    for call in (queue.add, queue.forget, queue.add_rate_limited, queue.num_requeues):
        with pytest.raises(errors.InvalidKeyError, match=message):
            call(bad_key)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidKeyError, match=message):
        queue.add_many(["ns/ok", bad_key])  # type: ignore[list-item]
    assert queue.stats() == queue.stats().__class__(0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("bad_delay", [-1, -0.001, math.nan, math.inf, "5", True])
def test_bad_delays_are_refused(queue: WorkQueue, bad_delay: object) -> None:
    """A negative, NaN, infinite or non-numeric delay raises InvalidDelayError."""
    with pytest.raises(errors.InvalidDelayError, match="delay"):
        queue.add_after("ns/a", bad_delay)  # type: ignore[arg-type]
    assert queue.stats().delayed == 0


@pytest.mark.parametrize(
    "kwargs",
    [{"lease_seconds": 0}, {"lease_seconds": -1}, {"epoch": 0}, {"prefix": "a{b}"}],
)
def test_bad_configuration_is_refused(fake_redis: Redis, kwargs: dict[str, object]) -> None:
    """Invalid queue settings raise ConfigError naming the setting."""
    with pytest.raises(errors.ConfigError):
        WorkQueue(fake_redis, "ctrl", **kwargs)  # type: ignore[arg-type]


def test_bad_queue_names_are_refused(fake_redis: Redis) -> None:
    """A queue name must be a non-empty string without braces."""
    for name in ("", "a{b", None):
        with pytest.raises(errors.ConfigError, match="queue name"):
            WorkQueue(fake_redis, name)  # type: ignore[arg-type]


def test_unreachable_redis_is_a_clear_error() -> None:
    """Every operation against a dead server raises RedisUnavailableError naming the server."""
    dead = redis_lib.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    queue = WorkQueue(dead, "ctrl")
    with pytest.raises(errors.RedisUnavailableError, match=r"127\.0\.0\.1:1"):
        queue.add("ns/a")
    with pytest.raises(errors.RedisUnavailableError):
        queue.get(timeout=0)
    with pytest.raises(errors.RedisUnavailableError):
        queue.num_requeues("ns/a")


def test_bytes_replies_work_too(key_prefix: str, redis_url: str) -> None:
    """A client without decode_responses gets the same answers."""
    client = redis_lib.Redis.from_url(redis_url)
    queue = WorkQueue(client, "bytes", prefix=key_prefix)
    try:
        queue.add("ns/ä")
        lease = queue.get(timeout=0)
        assert lease is not None and lease.key == "ns/ä"
        assert queue.done(lease)
        assert queue.num_requeues("ns/ä") == 0
    finally:
        queue.delete()
        client.close()


@pytest.mark.integration
def test_get_blocks_until_another_thread_adds(real_redis: Redis, key_prefix: str) -> None:
    """A waiting get wakes on the add's signal instead of polling out its timeout."""
    queue = WorkQueue(real_redis, "block", prefix=key_prefix)
    waiting = threading.Event()
    got: list[object] = []

    def taker() -> None:
        waiting.set()
        got.append(queue.get(timeout=10))

    thread = threading.Thread(target=taker)
    thread.start()
    waiting.wait(5)
    started = time.monotonic()
    queue.add("ns/a")
    thread.join(10)
    assert not thread.is_alive(), "get did not return within 10 s of the add"
    assert got and getattr(got[0], "key", None) == "ns/a"
    assert time.monotonic() - started < 5


@pytest.mark.integration
def test_get_wakes_when_a_delay_elapses(real_redis: Redis, key_prefix: str) -> None:
    """A waiting get returns a delayed key once its real-time delay passes, not before."""
    queue = WorkQueue(real_redis, "delay", prefix=key_prefix)
    queue.add_after("ns/a", 0.3)
    started = time.monotonic()
    lease = queue.get(timeout=5)
    assert lease is not None and lease.key == "ns/a"
    assert time.monotonic() - started >= 0.29


@pytest.mark.integration
def test_get_times_out_with_none(real_redis: Redis, key_prefix: str) -> None:
    """A get on an empty queue returns None after its timeout."""
    queue = WorkQueue(real_redis, "empty", prefix=key_prefix)
    started = time.monotonic()
    assert queue.get(timeout=0.2) is None
    assert 0.19 <= time.monotonic() - started < 3


@pytest.mark.integration
def test_shut_down_wakes_a_waiting_get(real_redis: Redis, key_prefix: str) -> None:
    """shut_down makes a get that waits without a timeout return None promptly."""
    queue = WorkQueue(real_redis, "stop", prefix=key_prefix)
    result: list[object] = ["unset"]
    thread = threading.Thread(target=lambda: result.__setitem__(0, queue.get(timeout=None)))
    thread.start()
    queue.shut_down()
    thread.join(5)
    assert not thread.is_alive(), "get kept waiting after shut_down"
    assert result[0] is None and queue.shutting_down


def test_finish_forget_releases_and_resets_the_backoff(queue: WorkQueue) -> None:
    """finish("forget") resets the failure count and releases the lease in one call."""
    queue.add_rate_limited("ns/a")
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None and queue.num_requeues("ns/a") == 1
    finished = queue.finish(lease, "forget")
    assert finished.released and finished.requeued_after is None
    assert queue.num_requeues("ns/a") == 0 and queue.stats().leased == 0


def test_finish_rate_limited_requeues_after_the_backoff(queue: WorkQueue, clock: FakeClock) -> None:
    """finish("rate_limited") counts a failure and the key comes back after its backoff."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None
    finished = queue.finish(lease, "rate_limited")
    assert finished.requeued_after == 0.005 and queue.num_requeues("ns/a") == 1
    assert queue.get(timeout=0) is None
    clock.advance(0.005)
    assert drain(queue) == ["ns/a"]


def test_finish_after_requeues_with_a_fixed_delay(queue: WorkQueue, clock: FakeClock) -> None:
    """finish("after", delay) forgets the backoff and requeues after exactly the delay."""
    queue.add_rate_limited("ns/a")
    clock.advance(1)
    lease = queue.get(timeout=0)
    assert lease is not None
    assert queue.finish(lease, "after", delay=30).requeued_after == 30
    assert queue.num_requeues("ns/a") == 0
    clock.advance(29.999)
    assert queue.get(timeout=0) is None
    clock.advance(0.001)
    assert drain(queue) == ["ns/a"]


def test_finish_with_a_stale_lease_changes_nothing(queue: WorkQueue, clock: FakeClock) -> None:
    """A worker whose lease expired cannot requeue or forget: the new holder decides."""
    queue.add("ns/a")
    old = queue.get(timeout=0)
    assert old is not None
    clock.advance(10)
    new = queue.get(timeout=0)
    assert new is not None
    assert queue.finish(old, "rate_limited") == queue.finish(old, "forget")
    assert not queue.finish(old, "after", delay=1).released
    assert queue.num_requeues("ns/a") == 0 and queue.stats().delayed == 0
    assert queue.inspect("ns/a").leased


def test_finish_keeps_a_change_that_arrived_during_the_run(queue: WorkQueue) -> None:
    """A key added while leased runs again right away even if its outcome was a delay."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None
    queue.add("ns/a")
    queue.finish(lease, "after", delay=60)
    assert drain(queue) == ["ns/a"]


def test_finish_refuses_an_unknown_action(queue: WorkQueue) -> None:
    """Only forget, rate_limited and after are outcomes."""
    queue.add("ns/a")
    lease = queue.get(timeout=0)
    assert lease is not None
    with pytest.raises(errors.QueueError, match="finish action"):
        queue.finish(lease, "retry")


def test_max_leased_caps_leases_across_all_holders(
    any_redis: Redis, key_prefix: str
) -> None:
    """With max_leased, no getter on any handle can push the leased count past the cap."""
    one = WorkQueue(any_redis, "cap", prefix=key_prefix)
    two = WorkQueue(any_redis, "cap", prefix=key_prefix)
    one.add_many([f"ns/k{i}" for i in range(10)])
    assert len(one.get_batch(3, max_leased=4)) == 3
    assert len(two.get_batch(3, max_leased=4)) == 1
    assert two.get_batch(3, max_leased=4) == []
    assert one.stats().leased == 4 and one.stats().ready == 6


def test_finish_counts_outcomes_by_label(queue: WorkQueue) -> None:
    """results() adds up the labels that every finish reported."""
    for label in ("success", "error", "success"):
        queue.add("ns/a")
        lease = queue.get(timeout=0)
        assert lease is not None
        queue.finish(lease, "forget", label=label)
    assert queue.results() == {"success": 2, "error": 1}
