"""The Redis queue and the in-memory reference model give identical answers to any sequence of
operations (hypothesis state machine), on fakeredis and on a real Redis server."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from redis import Redis

from reconciler.queue import Lease, RateLimiter, TokenBucket, WorkQueue
from reconciler.queue.workqueue import FINISH_ACTIONS
from reconciler.testing.clock import FakeClock
from reconciler.testing.memqueue import MemoryWorkQueue

KEYS = ["ns/a", "ns/b", "ns/c", "ns/d", "other/a"]
LIMITER = RateLimiter(base_delay=0.005, max_delay=2.0, bucket=TokenBucket(qps=10, burst=3))
LEASE_SECONDS = 10.0


def machine_for(client: Redis, prefix: str) -> Callable[[], RuleBasedStateMachine]:
    class QueueMachine(RuleBasedStateMachine):
        leases = Bundle("leases")

        def __init__(self) -> None:
            super().__init__()
            self.clock = FakeClock()
            self.real = WorkQueue(
                client, f"sm-{uuid.uuid4().hex[:8]}", prefix=prefix, clock=self.clock,
                rate_limiter=LIMITER, lease_seconds=LEASE_SECONDS,
            )
            self.model = MemoryWorkQueue(
                self.clock, rate_limiter=LIMITER, lease_seconds=LEASE_SECONDS
            )

        def teardown(self) -> None:
            self.real.delete()

        @rule(key=st.sampled_from(KEYS))
        def add(self, key: str) -> None:
            assert self.real.add(key) == self.model.add(key)

        @rule(keys=st.lists(st.sampled_from(KEYS), max_size=4))
        def add_many(self, keys: list[str]) -> None:
            assert self.real.add_many(keys) == self.model.add_many(keys)

        @rule(key=st.sampled_from(KEYS), ms=st.integers(0, 3000))
        def add_after(self, key: str, ms: int) -> None:
            assert self.real.add_after(key, ms / 1000) == self.model.add_after(key, ms / 1000)

        @rule(key=st.sampled_from(KEYS))
        def add_rate_limited(self, key: str) -> None:
            assert self.real.add_rate_limited(key) == self.model.add_rate_limited(key)

        @rule(key=st.sampled_from(KEYS))
        def forget(self, key: str) -> None:
            self.real.forget(key)
            self.model.forget(key)

        @rule(target=leases, n=st.integers(1, 3), cap=st.none() | st.integers(1, 3))
        def get_batch(self, n: int, cap: int | None) -> object:
            got = self.real.get_batch(n, max_leased=cap)
            assert got == self.model.get_batch(n, max_leased=cap)
            return multiple(*got)

        @rule(
            lease=leases,
            action=st.sampled_from(FINISH_ACTIONS),
            ms=st.integers(0, 3000),
        )
        def finish(self, lease: Lease, action: str, ms: int) -> None:
            real = self.real.finish(lease, action, delay=ms / 1000)
            assert real == self.model.finish(lease, action, delay=ms / 1000)

        @rule(lease=leases)
        def done(self, lease: Lease) -> None:
            assert self.real.done(lease) == self.model.done(lease)

        @rule(lease=leases)
        def extend(self, lease: Lease) -> None:
            assert self.real.extend(lease) == self.model.extend(lease)

        @rule(seconds=st.sampled_from([0.001, 0.005, 0.05, 0.1, 1.0, 2.5, 10.0]))
        def advance(self, seconds: float) -> None:
            self.clock.advance(seconds)

        @invariant()
        def same_backlog_and_key_states(self) -> None:
            assert self.real.stats() == self.model.stats()
            for key in KEYS:
                assert self.real.inspect(key) == self.model.inspect(key)
                assert self.real.num_requeues(key) == self.model.num_requeues(key)

    return QueueMachine


SETTINGS = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_redis_queue_matches_the_model_on_fakeredis(fake_redis: Redis, key_prefix: str) -> None:
    """Every answer of the Lua queue on fakeredis equals the reference model's."""
    run_state_machine_as_test(machine_for(fake_redis, key_prefix), settings=SETTINGS)


@pytest.mark.integration
def test_redis_queue_matches_the_model_on_real_redis(real_redis: Redis, key_prefix: str) -> None:
    """Every answer of the Lua queue on a real Redis server equals the reference model's."""
    run_state_machine_as_test(machine_for(real_redis, key_prefix), settings=SETTINGS)
