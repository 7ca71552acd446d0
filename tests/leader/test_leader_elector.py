"""Tests of reconciler.leader.elector against a real Redis (and a private one to flush)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from redis import Redis

from reconciler import errors, redisconn
from reconciler.leader import LeaderConfig, LeaderElector, LeadershipLostError, Renewal, Term
from reconciler.queue import WorkQueue
from reconciler.testing.redisserver import EmbeddedRedis

FAST = LeaderConfig(lease_duration=1.0, renew_deadline=0.6, retry_period=0.1)


def elector(redis: Redis, prefix: str, who: str, **kw: object) -> LeaderElector:
    return LeaderElector(redis, "app", identity=who, prefix=prefix, config=FAST, **kw)  # type: ignore[arg-type]


def test_only_one_candidate_acquires(real_redis: Redis, key_prefix: str) -> None:
    """While one candidate holds the lock another's attempt fails and sees the holder."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    term = a.try_acquire()
    assert term is not None and term.identity == "a"
    assert b.try_acquire() is None
    assert a.holder() == f"a {term.epoch}"
    ttl = real_redis.pttl(a.lock_key)
    assert 0 < ttl <= 1000


def test_epoch_increases_on_every_acquisition(real_redis: Redis, key_prefix: str) -> None:
    """Each new term gets a strictly larger epoch, even when acquired in the same ms."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    first = a.try_acquire()
    assert first is not None and a.release()
    second = b.try_acquire()
    assert second is not None and b.release()
    third = a.try_acquire()
    assert third is not None
    assert first.epoch < second.epoch < third.epoch


def test_renew_extends_only_the_holders_lock(real_redis: Redis, key_prefix: str) -> None:
    """Renewal resets the TTL for the holder; a deposed leader's renewal reports DEPOSED."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    assert a.try_acquire() is not None
    real_redis.pexpire(a.lock_key, 50)
    assert a.renew() is Renewal.RENEWED
    assert real_redis.pttl(a.lock_key) > 500
    real_redis.delete(a.lock_key)
    assert b.try_acquire() is not None
    assert a.renew() is Renewal.DEPOSED
    assert a.term is None


def test_lapsed_lock_is_renewed_if_no_term_began(real_redis: Redis, key_prefix: str) -> None:
    """A lock that expired with no new term since is taken back by its leader."""
    a = elector(real_redis, key_prefix, "a")
    term = a.try_acquire()
    assert term is not None
    real_redis.delete(a.lock_key)
    assert a.renew() is Renewal.RENEWED
    assert a.holder() == f"a {term.epoch}"


def test_release_hands_over_at_once(real_redis: Redis, key_prefix: str) -> None:
    """After release another candidate acquires immediately; releasing twice is a no-op."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    assert a.try_acquire() is not None
    assert a.release() is True
    assert a.release() is False
    assert b.try_acquire() is not None


def test_identity_and_name_are_checked(real_redis: Redis) -> None:
    """Names with braces or spaces and identities with spaces are refused by name."""
    with pytest.raises(errors.ConfigError, match="name"):
        LeaderElector(real_redis, "a{b}")
    with pytest.raises(errors.ConfigError, match="identity"):
        LeaderElector(real_redis, "ok", identity="has space")


def test_hold_raises_when_deposed(real_redis: Redis, key_prefix: str) -> None:
    """``hold`` raises LeadershipLostError as soon as another term holds the lock."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    assert a.try_acquire() is not None
    real_redis.delete(a.lock_key)
    assert b.try_acquire() is not None
    with pytest.raises(LeadershipLostError, match="deposed"):
        a.hold(threading.Event(), on_reset=lambda term: None)


def test_hold_raises_after_renew_deadline(real_redis: Redis, key_prefix: str) -> None:
    """A leader whose clock jumped past the renew deadline gives up without renewing."""
    ticks = iter([0.0, 5.0, 5.0])
    a = elector(real_redis, key_prefix, "a", monotonic=lambda: next(ticks))
    assert a.try_acquire() is not None
    with pytest.raises(LeadershipLostError, match="renew deadline"):
        a.hold(threading.Event(), on_reset=lambda term: None)


def test_acquire_waits_for_the_lease_to_expire(real_redis: Redis, key_prefix: str) -> None:
    """A standby's ``acquire`` returns a term once the old leader's lease lapsed."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    assert a.try_acquire() is not None
    term = b.acquire(threading.Event())
    assert term is not None and term.identity == "b"


def test_acquire_returns_none_when_stopped(real_redis: Redis, key_prefix: str) -> None:
    """``acquire`` gives up (returns None) once its stop event is set."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    assert a.try_acquire() is not None
    stop = threading.Event()
    stop.set()
    assert b.acquire(stop) is None


def test_deposed_leaders_queue_writes_are_fenced(real_redis: Redis, key_prefix: str) -> None:
    """Once the next leader raises the fence to its epoch, the old epoch's adds are refused."""
    a, b = elector(real_redis, key_prefix, "a"), elector(real_redis, key_prefix, "b")
    queue = WorkQueue(real_redis, "ctl", prefix=key_prefix)
    old = a.try_acquire()
    assert old is not None
    old_queue = queue.with_epoch(old.epoch)
    assert old_queue.add("ns/one")
    real_redis.delete(a.lock_key)
    new = b.try_acquire()
    assert new is not None
    queue.raise_fence(new.epoch)
    with pytest.raises(errors.FencedError):
        old_queue.add("ns/two")
    assert queue.with_epoch(new.epoch).add("ns/two")


@pytest.fixture
def private_redis() -> Iterator[Redis]:
    """A private Redis server that this test may flush."""
    with EmbeddedRedis() as server:
        client = redisconn.connect(server.url)
        yield client
        client.close()


def test_flushed_redis_starts_a_new_term(private_redis: Redis) -> None:
    """After FLUSHALL the leader's renewal reports RESET with a larger epoch, and
    ``hold`` passes the new term to ``on_reset``."""
    a = LeaderElector(private_redis, "app", identity="a", config=FAST)
    old = a.try_acquire()
    assert old is not None
    private_redis.flushall()
    assert a.renew() is Renewal.RESET
    assert a.term is not None and a.term.epoch > old.epoch
    private_redis.flushall()
    stop = threading.Event()
    seen: list[Term] = []

    def reset(term: Term) -> None:
        seen.append(term)
        stop.set()

    a.hold(stop, on_reset=reset)
    assert seen and seen[0].epoch > old.epoch
    assert a.holder() == f"a {seen[0].epoch}"


def test_hold_gives_up_when_redis_is_unreachable() -> None:
    """A leader that cannot reach Redis keeps retrying, then stops at the renew deadline."""
    from reconciler.testing.redisserver import free_port

    dead = redisconn.connect(f"redis://127.0.0.1:{free_port()}/0", check=False,
                             socket_timeout=0.1)
    a = LeaderElector(dead, "app", identity="a", config=FAST)
    a.term = Term("a", 1)
    with pytest.raises(LeadershipLostError, match="renew deadline"):
        a.hold(threading.Event(), on_reset=lambda term: None)
