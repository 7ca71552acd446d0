"""Leader election on one Redis key: acquire, renew, release, and the epoch of each term.

Why not ``kubernetes.leaderelection``: it locks a ConfigMap or Lease object through the API
server, runs its callbacks on threads it owns, and has no fencing token; here the lock must
live in the same Redis as the work queue so that the term's **epoch** can fence the queue's
writes (``WorkQueue.with_epoch``/``raise_fence``) and a flushed Redis can be noticed.

The lock is ``<prefix>:leader:{<name>}:lock`` holding ``"<identity> <epoch>"`` with the lease
as TTL; ``<prefix>:leader:{<name>}:epoch`` holds the newest epoch ever issued and is also the
marker whose absence means Redis lost its data. Each operation is one script in ``scripts/``.

Semantics (client-go's): a standby tries to acquire every ``retry_period`` (jittered); the
leader renews every ``retry_period``; if ``renew_deadline`` passes without a successful
renewal, or the lock is found in another term, the term is over and :meth:`hold` raises
:class:`LeadershipLostError` at once. Monotonic time keeps running while a process is
paused, so a leader resumed after ``SIGSTOP`` past its deadline gives up without trying.
"""

from __future__ import annotations

import enum
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis

from reconciler import errors, redisconn
from reconciler.leader import config as config_mod
from reconciler.leader import scripts

log = logging.getLogger("reconciler.leader")


LeadershipLostError = errors.LeadershipLostError


@dataclass(frozen=True)
class Term:
    """One leader's term: its ``epoch`` fences every queue write made during it."""

    identity: str
    epoch: int


class Renewal(enum.Enum):
    """What one renewal attempt found."""

    RENEWED = "renewed"
    RESET = "reset"
    """Redis lost its data: a new term (new epoch) began for the same leader; relist all."""
    DEPOSED = "deposed"


def default_identity() -> str:
    """``host-pid-random``: unique per process, readable in the lock's value."""
    host = socket.gethostname().replace(" ", "_") or "host"
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class LeaderElector:
    """Elects one leader named ``name`` among processes sharing a Redis."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        *,
        config: config_mod.LeaderConfig | None = None,
        identity: str | None = None,
        prefix: str = "reconciler",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(name, str) or not name or any(c in name for c in " {}"):
            raise errors.ConfigError(
                f"leader election: name must be a non-empty string without spaces or braces, "
                f"got {name!r}"
            )
        self.identity = identity or default_identity()
        if " " in self.identity:
            raise errors.ConfigError(
                f"leader election: identity must not contain spaces, got {self.identity!r}"
            )
        self.redis = redis
        self.name = name
        self.config = config or config_mod.LeaderConfig()
        base = f"{prefix}:leader:{{{name}}}"
        self.lock_key = f"{base}:lock"
        self.epoch_key = f"{base}:epoch"
        self.term: Term | None = None
        self._monotonic = monotonic
        self._scripts = scripts.ScriptSet(redis)
        self._random = random.Random()

    def __repr__(self) -> str:
        return f"LeaderElector({self.name!r}, identity={self.identity!r}, term={self.term})"

    # -- single attempts --------------------------------------------------------------------

    def try_acquire(self) -> Term | None:
        """Take the lock if it is free; returns the new term, or ``None`` if another leads."""
        with redisconn.unavailable_as_error(self.redis):
            won, value = self._scripts.call(
                "acquire", [self.lock_key, self.epoch_key], [self.identity, self.config.lease_ms]
            )
        if int(won) != 1:
            return None
        self.term = Term(self.identity, int(value))
        return self.term

    def renew(self) -> Renewal:
        """One compare-and-extend of the lock; updates :attr:`term` on a reset."""
        term = self._require_term()
        with redisconn.unavailable_as_error(self.redis):
            code, value = self._scripts.call(
                "renew",
                [self.lock_key, self.epoch_key],
                [term.identity, term.epoch, self.config.lease_ms],
            )
        if int(code) == 1:
            return Renewal.RENEWED
        if int(code) == 2:
            self.term = Term(term.identity, int(value))
            return Renewal.RESET
        self.term = None
        return Renewal.DEPOSED

    def release(self) -> bool:
        """Delete the lock if this term still holds it, so a standby takes over at once."""
        term, self.term = self.term, None
        if term is None:
            return False
        with redisconn.unavailable_as_error(self.redis):
            return bool(self._scripts.call(
                "release", [self.lock_key], [term.identity, term.epoch]
            ))

    def holder(self) -> str | None:
        """The lock's value ``"<identity> <epoch>"``, or ``None`` when nobody leads."""
        with redisconn.unavailable_as_error(self.redis):
            value = self.redis.get(self.lock_key)
        return None if value is None else str(value)

    # -- loops ------------------------------------------------------------------------------

    def acquire(self, stop: threading.Event) -> Term | None:
        """Try every jittered ``retry_period`` until this process leads or ``stop`` is set."""
        while not stop.is_set():
            try:
                term = self.try_acquire()
            except errors.RedisUnavailableError as exc:
                log.warning("leader election %s: cannot reach Redis: %s", self.name, exc)
                term = None
            if term is not None:
                log.info("leader election %s: %s leads, epoch %d",
                         self.name, term.identity, term.epoch)
                return term
            stop.wait(self.config.retry_period * (1 + self._random.uniform(0, config_mod.JITTER)))
        return None

    def hold(self, stop: threading.Event, *, on_reset: Callable[[Term], None]) -> None:
        """Renew every ``retry_period`` until ``stop`` is set (then return, still holding).

        Raises :class:`LeadershipLostError` as soon as the term is over: deposed, or no
        successful renewal within ``renew_deadline``. Calls ``on_reset(new_term)`` when
        Redis lost its data and a new term began for this leader."""
        last_ok = self._monotonic()
        while not stop.wait(self.config.retry_period):
            late = self._monotonic() - last_ok
            if late > self.config.renew_deadline:
                self.term = None
                raise LeadershipLostError(
                    f"leader election {self.name}: no renewal for {late:.1f}s, past the renew "
                    f"deadline of {self.config.renew_deadline}s"
                )
            try:
                outcome = self.renew()
            except errors.RedisUnavailableError as exc:
                log.warning("leader election %s: renewal failed: %s", self.name, exc)
                continue
            if outcome is Renewal.DEPOSED:
                raise LeadershipLostError(
                    f"leader election {self.name}: deposed, another term began"
                )
            last_ok = self._monotonic()
            if outcome is Renewal.RESET:
                term = self._require_term()
                log.warning("leader election %s: Redis lost its data; new epoch %d",
                            self.name, term.epoch)
                on_reset(term)

    def _require_term(self) -> Term:
        if self.term is None:
            raise LeadershipLostError(f"leader election {self.name}: not leading")
        return self.term
