"""The in-memory queue is usable as a fake in unit tests (its equivalence with the Redis queue
is proven in tests/queue/test_workqueue_model.py)."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.testing.clock import FakeClock
from reconciler.testing.memqueue import MemoryWorkQueue


def test_dirty_key_runs_again_after_done() -> None:
    """A key added during its lease is handed out again after done, once."""
    queue = MemoryWorkQueue(FakeClock())
    queue.add("ns/a")
    lease = queue.get()
    assert lease is not None
    queue.add("ns/a")
    queue.add("ns/a")
    assert queue.get() is None
    assert queue.done(lease)
    again = queue.get()
    assert again is not None and again.key == "ns/a"
    assert queue.done(again) and queue.get() is None


def test_lease_expiry_and_stale_done() -> None:
    """An expired lease is reaped and its holder's done is refused."""
    clock = FakeClock()
    queue = MemoryWorkQueue(clock, lease_seconds=1)
    queue.add("ns/a")
    old = queue.get()
    clock.advance(1)
    new = queue.get()
    assert old is not None and new is not None and new.token > old.token
    assert queue.done(old) is False and queue.done(new) is True
    assert queue.stats().expired_leases == 1


def test_the_fake_validates_like_the_real_queue() -> None:
    """Bad keys and delays raise the same errors as the Redis queue."""
    queue = MemoryWorkQueue(FakeClock())
    with pytest.raises(errors.InvalidKeyError):
        queue.add("")
    with pytest.raises(errors.InvalidDelayError):
        queue.add_after("ns/a", -1)
