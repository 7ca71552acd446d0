"""A clock that moves only when told, for deterministic tests of anything that takes a clock."""

from __future__ import annotations

import threading


class FakeClock:
    """Seconds since the epoch, starting at ``start`` and moved by :meth:`advance`.

    Pass it as ``WorkQueue(..., clock=clock)``: the queue then sends this time to its Lua
    scripts instead of using the Redis server's TIME.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backward)."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back; got {seconds}")
        with self._lock:
            self._now += seconds
