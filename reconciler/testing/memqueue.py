"""An in-memory work queue with the same semantics as :class:`reconciler.queue.WorkQueue`.

It is the reference model of the Redis queue: the property tests drive both side by side and
require identical answers. It is also a fake for unit tests of code that takes a queue.

It is written to be obviously right rather than fast, and differently from the Lua scripts:
time moves only through its clock, and it applies what time made due *eagerly* before every
operation (the Lua scripts do the same lazily, which is indistinguishable to a caller). Keys
that became ready at the same millisecond keep the order the Redis sorted set gives them:
earliest due time first, then by key.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.errors import QueueError
from reconciler.queue import ratelimit
from reconciler.queue.workqueue import (
    FINISH_ACTIONS,
    Finished,
    KeyState,
    Lease,
    QueueStats,
    check_key,
    delay_ms,
)


@dataclass
class _Held:
    token: int
    deadline: int


@dataclass
class _State:
    ready: deque[str] = field(default_factory=deque)
    became_ready: dict[str, int] = field(default_factory=dict)
    delayed: dict[str, int] = field(default_factory=dict)
    leases: dict[str, _Held] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    failures: dict[str, int] = field(default_factory=dict)
    bucket_tokens: float | None = None
    bucket_at: int = 0
    seq: int = 0
    expired: int = 0


class MemoryWorkQueue:
    """A single-process work queue; ``clock`` returns seconds (shared with the Redis queue
    under test in the property tests)."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        rate_limiter: ratelimit.RateLimiter | None = None,
        lease_seconds: float = 30.0,
    ) -> None:
        self.clock = clock
        self.rate_limiter = rate_limiter or ratelimit.RateLimiter()
        self.lease_ms = round(lease_seconds * 1000)
        self._s = _State()
        self._lock = threading.RLock()

    def _now(self) -> int:
        return round(self.clock() * 1000)

    def _make_ready(self, key: str, at: int) -> None:
        self._s.ready.append(key)
        self._s.became_ready[key] = at

    def _catch_up(self) -> int:
        """Apply expired leases, then due delays, as of now; returns now in ms."""
        now, s = self._now(), self._s
        # Sorted sets order equal scores by member, hence the (time, key) sorts.
        expired = sorted((h.deadline, k) for k, h in s.leases.items() if h.deadline <= now)
        for _, key in expired:
            del s.leases[key]
            s.dirty.discard(key)
            s.delayed.pop(key, None)
            self._make_ready(key, now)
            s.expired += 1
        for due, key in sorted((due, k) for k, due in s.delayed.items() if due <= now):
            del s.delayed[key]
            if key in s.leases:
                s.dirty.add(key)
            else:
                self._make_ready(key, due)
        return now

    def _enqueue(self, key: str, delay: int, now: int) -> bool:
        s = self._s
        if key in s.leases:
            if key in s.dirty:
                return False
            if delay <= 0:
                s.delayed.pop(key, None)
                s.dirty.add(key)
                return True
        elif key in s.became_ready:
            return False
        elif delay <= 0:
            s.delayed.pop(key, None)
            self._make_ready(key, now)
            return True
        if key in s.delayed and s.delayed[key] <= now + delay:
            return False
        s.delayed[key] = now + delay
        return True

    def add(self, key: str) -> bool:
        """See :meth:`reconciler.queue.WorkQueue.add`."""
        return self.add_many([key]) == 1

    def add_many(self, keys: Iterable[str]) -> int:
        """See :meth:`reconciler.queue.WorkQueue.add_many`."""
        checked = [check_key(k) for k in keys]
        with self._lock:
            now = self._catch_up()
            return sum(self._enqueue(k, 0, now) for k in checked)

    def add_after(self, key: str, seconds: float) -> bool:
        """See :meth:`reconciler.queue.WorkQueue.add_after`."""
        check_key(key)
        delay = delay_ms(seconds)
        with self._lock:
            return self._enqueue(key, delay, self._catch_up())

    def add_rate_limited(self, key: str) -> float:
        """See :meth:`reconciler.queue.WorkQueue.add_rate_limited`."""
        check_key(key)
        with self._lock:
            now = self._catch_up()
            delay = self._backoff(key, now)
            self._enqueue(key, round(delay * 1000), now)
            return delay

    def _backoff(self, key: str, now: int) -> float:
        """Count a failure of ``key``; its backoff in seconds (whole ms)."""
        limiter, s = self.rate_limiter, self._s
        s.failures[key] = s.failures.get(key, 0) + 1
        delay = min(limiter.base_delay * 1000 * 2 ** (s.failures[key] - 1),
                    limiter.max_delay * 1000)
        if limiter.bucket is not None:
            qps, burst = limiter.bucket.qps, limiter.bucket.burst
            tokens = burst if s.bucket_tokens is None else s.bucket_tokens
            at = now if s.bucket_tokens is None else s.bucket_at
            tokens = min(burst, tokens + max(0, now - at) * qps / 1000) - 1
            s.bucket_tokens, s.bucket_at = tokens, now
            if tokens < 0:
                delay = max(delay, -tokens * 1000 / qps)
        whole: int = math.ceil(delay)
        return whole / 1000

    def forget(self, key: str) -> None:
        """See :meth:`reconciler.queue.WorkQueue.forget`."""
        with self._lock:
            self._s.failures.pop(check_key(key), None)

    def num_requeues(self, key: str) -> int:
        """See :meth:`reconciler.queue.WorkQueue.num_requeues`."""
        with self._lock:
            return self._s.failures.get(check_key(key), 0)

    def get_batch(self, n: int, *, max_leased: int | None = None) -> list[Lease]:
        """Lease up to ``n`` ready keys, oldest first; never waits."""
        with self._lock:
            now, s = self._catch_up(), self._s
            if max_leased is not None:
                n = min(n, max_leased - len(s.leases))
            out: list[Lease] = []
            while s.ready and len(out) < n:
                key = s.ready.popleft()
                since = s.became_ready.pop(key)
                s.seq += 1
                s.leases[key] = _Held(token=s.seq, deadline=now + self.lease_ms)
                out.append(Lease(key=key, token=s.seq, waited=(now - since) / 1000))
            return out

    def get(self) -> Lease | None:
        """Lease the oldest ready key, or ``None``; never waits."""
        leases = self.get_batch(1)
        return leases[0] if leases else None

    def done(self, lease: Lease) -> bool:
        """See :meth:`reconciler.queue.WorkQueue.done`."""
        with self._lock:
            self._catch_up()
            return self._release(lease)

    def finish(
        self, lease: Lease, action: str, *, delay: float = 0.0, label: str = "success"
    ) -> Finished:
        """See :meth:`reconciler.queue.WorkQueue.finish`."""
        if action not in FINISH_ACTIONS:
            raise QueueError(f"finish action must be one of {FINISH_ACTIONS}, got {action!r}")
        whole = delay_ms(delay)
        with self._lock:
            now, s = self._catch_up(), self._s
            held = s.leases.get(lease.key)
            if held is None or held.token != lease.token:
                return Finished(released=False, requeued_after=None)
            requeued: float | None = None
            if action == "rate_limited":
                requeued = self._backoff(lease.key, now)
            else:
                s.failures.pop(lease.key, None)
                if action == "after":
                    requeued = whole / 1000
            if requeued is not None:
                self._enqueue(lease.key, round(requeued * 1000), now)
            self._release(lease)
            return Finished(released=True, requeued_after=requeued)

    def _release(self, lease: Lease) -> bool:
        now, s = self._now(), self._s
        held = s.leases.get(lease.key)
        if held is None or held.token != lease.token:
            return False
        del s.leases[lease.key]
        if lease.key in s.dirty:
            s.dirty.discard(lease.key)
            s.delayed.pop(lease.key, None)
            self._make_ready(lease.key, now)
        return True

    def extend(self, lease: Lease) -> bool:
        """See :meth:`reconciler.queue.WorkQueue.extend`."""
        with self._lock:
            now, s = self._catch_up(), self._s
            held = s.leases.get(lease.key)
            if held is None or held.token != lease.token:
                return False
            held.deadline = now + self.lease_ms
            return True

    def len(self) -> int:
        """How many keys are ready now."""
        return self.stats().ready

    def stats(self) -> QueueStats:
        """See :meth:`reconciler.queue.WorkQueue.stats`."""
        with self._lock:
            self._catch_up()
            s = self._s
            return QueueStats(
                ready=len(s.ready),
                delayed=len(s.delayed),
                leased=len(s.leases),
                dirty=len(s.dirty),
                failing=len(s.failures),
                expired_leases=s.expired,
            )

    def inspect(self, key: str) -> KeyState:
        """See :meth:`reconciler.queue.WorkQueue.inspect` (here always caught up)."""
        with self._lock:
            self._catch_up()
            s = self._s
            due = s.delayed.get(key)
            return KeyState(
                key=key,
                ready=key in s.became_ready,
                delayed_until=None if due is None else due / 1000,
                leased=key in s.leases,
                dirty=key in s.dirty,
                failures=s.failures.get(key, 0),
            )
