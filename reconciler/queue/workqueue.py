"""A work queue in Redis with client-go's guarantees, shared by any number of processes.

The semantics are client-go's ``workqueue``, held across hosts because every state change is
one Lua script (``scripts/*.lua``):

* **fair**: keys are leased in the order they became ready;
* **stingy**: a key waits in the queue at most once, however often it is added;
* **exclusive**: a key is leased to at most one holder at a time;
* **dirty re-run**: a key added while leased is queued again, once, when the lease is done;
* ``add_after`` keeps the earliest ready time; ``add`` makes a waiting key ready now;
* ``add_rate_limited`` backs off per key (see :mod:`reconciler.queue.ratelimit`), ``forget``
  resets the count and ``num_requeues`` reads it.

What client-go does not need, because its queue dies with its process: a lease has a deadline,
and a lease whose holder died is reaped and its key queued again. Every lease carries a fencing
token; ``done`` or ``extend`` with a token that is no longer current changes nothing and
returns ``False``, so a worker that stalled past its deadline cannot release a key that another
worker now holds. Writers that are leaders pass their election epoch; the scripts refuse a
write from an epoch older than the newest one seen (:class:`~reconciler.errors.FencedError`).

Time is the Redis server's clock (all hosts agree on it) unless a ``clock`` is injected, as
client-go lets tests inject one. Handles are thread-safe; after ``fork`` make a new client.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis as redis_lib
from redis import Redis

from reconciler import errors, redisconn
from reconciler.queue import ratelimit, scripts

#: The queue's keys, in the order every script receives them (see ``_common.lua``).
KEY_SUFFIXES: tuple[str, ...] = (
    "ready",
    "enqueued",
    "delayed",
    "leases",
    "deadlines",
    "dirty",
    "failures",
    "meta",
    "signal",
)

#: The longest one blocking wait lasts before ``get`` looks again (delays and lease deadlines
#: are noticed at least this often even without a wake-up signal).
MAX_BLOCK_SECONDS = 1.0

#: Keys per script call in ``add_many``; bounds the time one script holds Redis.
ADD_CHUNK = 1000

Clock = Callable[[], float]
"""Seconds since the epoch; the default is the Redis server's own clock."""


@dataclass(frozen=True)
class Lease:
    """The right to process ``key`` until ``done``; ``token`` fences out stale holders."""

    key: str
    token: int
    waited: float
    """Seconds the key sat ready before this lease (the queue-duration metric)."""


#: The outcomes :meth:`WorkQueue.finish` applies (see :mod:`reconciler.outcome`).
FINISH_ACTIONS: tuple[str, ...] = ("forget", "rate_limited", "after")


@dataclass(frozen=True)
class Finished:
    """What :meth:`WorkQueue.finish` did."""

    released: bool
    """False when the lease was stale: nothing was changed."""
    requeued_after: float | None
    """The delay of the requeue in seconds, or ``None`` when the key was not requeued."""


@dataclass(frozen=True)
class QueueStats:
    """The queue's true backlog at one instant."""

    ready: int
    delayed: int
    leased: int
    dirty: int
    failing: int
    """Keys with a failure count (``num_requeues`` > 0)."""
    expired_leases: int
    """Leases reaped since the queue was created: each is a holder that died or stalled."""

    @property
    def pending(self) -> int:
        """Keys that still need a run: ready, delayed, and leased keys that will run again."""
        return self.ready + self.delayed + self.dirty


@dataclass(frozen=True)
class KeyState:
    """Where one key stands in the queue."""

    key: str
    ready: bool
    delayed_until: float | None
    """When a delayed key becomes ready, in seconds since the epoch (queue clock)."""
    leased: bool
    dirty: bool
    failures: int


def check_key(key: object) -> str:
    """``key`` if it is a usable queue key; raises :class:`InvalidKeyError` naming the fault."""
    if not isinstance(key, str):
        raise errors.InvalidKeyError(
            f"queue key must be a str, got {type(key).__name__}: {key!r}"
        )
    if not key:
        raise errors.InvalidKeyError("queue key must not be empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise errors.InvalidKeyError(
            f"queue key {key!r} contains a control character (newline, tab, NUL, ...)"
        )
    return key


def delay_ms(seconds: object) -> int:
    """``seconds`` as whole milliseconds, rounded up; raises :class:`InvalidDelayError`."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise errors.InvalidDelayError(
            f"delay must be a number of seconds, got {type(seconds).__name__}: {seconds!r}"
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise errors.InvalidDelayError(
            f"delay must be a finite number of seconds >= 0, got {seconds!r}"
        )
    return math.ceil(seconds * 1000)


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise errors.ConfigError(f"queue name must be a non-empty str, got {name!r}")
    if any(ch in "{}" or ord(ch) < 32 for ch in name):
        raise errors.ConfigError(
            f"queue name {name!r} must not contain braces or control characters"
        )
    return name


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class WorkQueue:
    """One controller's work queue, named ``name``, isolated from others by its key prefix."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        *,
        rate_limiter: ratelimit.RateLimiter | None = None,
        lease_seconds: float = 30.0,
        prefix: str = "reconciler",
        clock: Clock | None = None,
        epoch: int | None = None,
    ) -> None:
        if not (isinstance(lease_seconds, int | float) and 0 < lease_seconds < math.inf):
            raise errors.ConfigError(
                f"lease_seconds must be a positive finite number, got {lease_seconds!r}"
            )
        if epoch is not None and (not isinstance(epoch, int) or epoch < 1):
            raise errors.ConfigError(f"epoch must be an integer >= 1, got {epoch!r}")
        self.name = _check_name(name)
        self.prefix = _check_name(prefix)
        self.redis = redis
        self.rate_limiter = rate_limiter or ratelimit.RateLimiter()
        self.lease_seconds = float(lease_seconds)
        self.clock = clock
        self.epoch = epoch
        base = f"{self.prefix}:{{{self.name}}}"
        self.keys: list[str] = [f"{base}:{suffix}" for suffix in KEY_SUFFIXES]
        self._key = dict(zip(KEY_SUFFIXES, self.keys, strict=True))
        # Encoded once: redis-py encodes str arguments on every call, bytes it sends as they are.
        self._script_keys = [key.encode() for key in self.keys]
        self._wake_key = f"{base}:wake:{uuid.uuid4().hex}"
        self._scripts = scripts.ScriptSet(redis)
        self._shutdown = threading.Event()

    def __repr__(self) -> str:
        return f"WorkQueue({self.name!r}, prefix={self.prefix!r}, epoch={self.epoch})"

    def with_epoch(self, epoch: int) -> WorkQueue:
        """A handle on the same queue whose writes carry the leader ``epoch`` (fenced)."""
        return WorkQueue(
            self.redis,
            self.name,
            rate_limiter=self.rate_limiter,
            lease_seconds=self.lease_seconds,
            prefix=self.prefix,
            clock=self.clock,
            epoch=epoch,
        )

    # -- adding -----------------------------------------------------------------------------

    def add(self, key: str) -> bool:
        """Make ``key`` ready now; ``False`` when it was already ready (stingy)."""
        return self._add([check_key(key)], 0) == 1

    def add_many(self, keys: Iterable[str]) -> int:
        """Add every key now, ``ADD_CHUNK`` per round trip; returns how many changed the queue."""
        checked = [check_key(key) for key in keys]
        return sum(
            self._add(checked[i : i + ADD_CHUNK], 0) for i in range(0, len(checked), ADD_CHUNK)
        )

    def add_after(self, key: str, seconds: float) -> bool:
        """Make ``key`` ready after ``seconds``, unless it will be ready sooner already."""
        return self._add([check_key(key)], delay_ms(seconds)) == 1

    def add_rate_limited(self, key: str) -> float:
        """Count a failure of ``key`` and requeue it after its backoff; returns the delay (s)."""
        reply = self._run(
            "add_rate_limited",
            [self._now(), self._epoch(), *self.rate_limiter.script_args(), check_key(key)],
        )
        return int(reply) / 1000

    def forget(self, key: str) -> None:
        """Reset ``key``'s failure count: its next rate-limited add starts from the base delay."""
        with redisconn.unavailable_as_error(self.redis):
            self.redis.hdel(self._key["failures"], check_key(key))

    def num_requeues(self, key: str) -> int:
        """How many times ``key`` was rate-limited since it was last forgotten."""
        with redisconn.unavailable_as_error(self.redis):
            value = self.redis.hget(self._key["failures"], check_key(key))
        return int(_text(value)) if value is not None else 0

    def _add(self, keys: Sequence[str], delay: int) -> int:
        if not keys:
            return 0
        return int(self._run("add", [self._now(), self._epoch(), delay, *keys]))

    # -- taking and releasing --------------------------------------------------------------

    def get(self, timeout: float | None = None) -> Lease | None:
        """Lease the oldest ready key, waiting up to ``timeout`` seconds (``None``: until
        :meth:`shut_down`). Returns ``None`` on timeout or once shut down."""
        leases = self.get_batch(1, timeout=timeout)
        return leases[0] if leases else None

    def get_batch(
        self, n: int, *, timeout: float | None = 0, max_leased: int | None = None
    ) -> list[Lease]:
        """Lease up to ``n`` ready keys in one round trip, oldest first, waiting up to
        ``timeout`` seconds for the first (``0``: don't wait; ``None``: until shut down).

        With ``max_leased``, never let more than that many keys of this queue be leased at
        once, counting every holder on every host (the dispatcher's ``max_in_flight``)."""
        if not isinstance(n, int) or n < 1:
            raise errors.QueueError(f"get_batch needs n >= 1, got {n!r}")
        if max_leased is not None and (not isinstance(max_leased, int) or max_leased < 1):
            raise errors.QueueError(f"max_leased must be an integer >= 1, got {max_leased!r}")
        if timeout is not None:
            delay_ms(timeout)  # validates
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._shutdown.is_set():
            leases, wake_ms = self._take(n, max_leased or 0)
            if leases:
                return leases
            remaining = MAX_BLOCK_SECONDS if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                break
            wait = min(remaining, MAX_BLOCK_SECONDS)
            if wake_ms >= 0:
                wait = min(wait, wake_ms / 1000)
            if wait >= 0.001:
                with redisconn.unavailable_as_error(self.redis):
                    self.redis.blpop([self._key["signal"], self._wake_key], timeout=wait)
        return []

    def _take(self, n: int, max_leased: int) -> tuple[list[Lease], int]:
        lease_ms = round(self.lease_seconds * 1000)
        reply = self._run("get", [self._now(), n, lease_ms, max_leased])
        wake = int(reply[0])
        leases = [
            Lease(key=_text(reply[i]), token=int(reply[i + 1]), waited=int(reply[i + 2]) / 1000)
            for i in range(1, len(reply), 3)
        ]
        return leases, wake

    def done(self, lease: Lease) -> bool:
        """Release ``lease``; a key added meanwhile is queued again. ``False`` (and nothing
        changed) when the lease was no longer current: it expired and may be held by another."""
        return int(self._run("done", [self._now(), lease.key, lease.token])) == 1

    def finish(
        self, lease: Lease, action: str, *, delay: float = 0.0, label: str = "success"
    ) -> Finished:
        """Apply a reconcile's outcome and release ``lease`` in one atomic round trip.

        ``action`` is ``"forget"`` (reset the backoff), ``"rate_limited"`` (count a failure and
        requeue after the backoff) or ``"after"`` (reset the backoff and requeue after
        ``delay`` seconds). Equivalent to that call followed by :meth:`done`, except that a
        stale lease changes nothing at all: its key's current holder decides. ``label`` (the
        outcome's metric label) is counted in :meth:`results`."""
        if action not in FINISH_ACTIONS:
            raise errors.QueueError(
                f"finish action must be one of {FINISH_ACTIONS}, got {action!r}"
            )
        args = [self._now(), lease.key, lease.token, action, delay_ms(delay)]
        released, applied = self._run(
            "finish", [*args, *self.rate_limiter.script_args(), label]
        )
        return Finished(
            released=int(released) == 1,
            requeued_after=int(applied) / 1000 if int(applied) >= 0 else None,
        )

    def done_many(self, leases: Sequence[Lease]) -> list[bool]:
        """:meth:`done` for each lease, pipelined into one round trip; one answer per lease."""
        if not leases:
            return []
        now = self._now()
        try:
            with redisconn.unavailable_as_error(self.redis), self.redis.pipeline(
                transaction=False
            ) as pipe:
                for lease in leases:
                    args = [now, lease.key, lease.token]
                    self._scripts.call("done", self._script_keys, args, pipe)
                replies = pipe.execute()
        except redis_lib.ResponseError as exc:
            raise errors.QueueError(f"queue {self.name!r}: done failed: {exc}") from exc
        return [int(reply) == 1 for reply in replies]

    def extend(self, lease: Lease) -> bool:
        """Push ``lease``'s deadline to now + ``lease_seconds``; ``False`` when it was lost."""
        reply = self._run(
            "extend", [self._now(), lease.key, lease.token, round(self.lease_seconds * 1000)]
        )
        return int(reply) == 1

    def shut_down(self) -> None:
        """Stop this handle: waiting and future ``get`` calls return ``None`` at once. Other
        handles on the same queue, here or elsewhere, are unaffected."""
        self._shutdown.set()
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.lpush(self._wake_key, "1")
                pipe.expire(self._wake_key, 60)
                pipe.execute()
        except redis_lib.RedisError:
            pass  # waiters notice the flag within MAX_BLOCK_SECONDS anyway

    @property
    def shutting_down(self) -> bool:
        """Whether :meth:`shut_down` was called on this handle."""
        return self._shutdown.is_set()

    # -- inspection -----------------------------------------------------------------------

    def len(self) -> int:
        """How many keys are ready now (client-go's ``Len``)."""
        return self.stats().ready

    def __len__(self) -> int:
        return self.len()

    def stats(self) -> QueueStats:
        """Counts of ready, delayed, leased and dirty keys, failing keys and reaped leases."""
        reply = self._run("stats", [self._now()])
        ready, delayed, leased, dirty, failing, expired = (int(v) for v in reply[:6])
        return QueueStats(ready, delayed, leased, dirty, failing, expired)

    def results(self) -> dict[str, int]:
        """How many reconciles ended with each outcome label, counted by :meth:`finish`
        across every process since the queue was created."""
        with redisconn.unavailable_as_error(self.redis):
            meta = self.redis.hgetall(self._key["meta"])
        return {
            _text(field)[len("result:"):]: int(_text(value))
            for field, value in meta.items()
            if _text(field).startswith("result:")
        }

    def inspect(self, key: str) -> KeyState:
        """Where ``key`` stands, read atomically (time-driven moves are applied lazily, so a
        key past its delay may still show as delayed until the next queue operation)."""
        check_key(key)
        with redisconn.unavailable_as_error(self.redis), self.redis.pipeline() as pipe:
            pipe.hexists(self._key["enqueued"], key)
            pipe.zscore(self._key["delayed"], key)
            pipe.hexists(self._key["leases"], key)
            pipe.sismember(self._key["dirty"], key)
            pipe.hget(self._key["failures"], key)
            queued, due, leased, dirty, failures = pipe.execute()
        return KeyState(
            key=key,
            ready=bool(queued),
            delayed_until=None if due is None else float(due) / 1000,
            leased=bool(leased),
            dirty=bool(dirty),
            failures=int(_text(failures)) if failures is not None else 0,
        )

    # -- fencing ----------------------------------------------------------------------------

    def raise_fence(self, epoch: int) -> int:
        """Refuse writes from epochs older than ``epoch`` from now on; returns the fence."""
        if not isinstance(epoch, int) or epoch < 1:
            raise errors.ConfigError(f"epoch must be an integer >= 1, got {epoch!r}")
        return int(self._run("raise_fence", ["", epoch]))

    def delete(self) -> None:
        """Remove every key of this queue from Redis (tests and decommissioning)."""
        with redisconn.unavailable_as_error(self.redis):
            self.redis.delete(*self.keys, self._wake_key)

    # -- plumbing -------------------------------------------------------------------------

    def _now(self) -> int | str:
        return "" if self.clock is None else round(self.clock() * 1000)

    def _epoch(self) -> int | str:
        return "" if self.epoch is None else self.epoch

    def _run(self, operation: str, args: list[Any]) -> Any:
        try:
            with redisconn.unavailable_as_error(self.redis):
                return self._scripts.call(operation, self._script_keys, args)
        except redis_lib.ResponseError as exc:
            if "FENCED" in str(exc):
                raise errors.FencedError(
                    f"queue {self.name!r} refused a write from leader epoch {self.epoch}: "
                    f"a newer leader has taken over ({exc})"
                ) from exc
            raise errors.QueueError(f"queue {self.name!r}: {operation} failed: {exc}") from exc
