"""Jittered exponential backoff for reconnecting watches (client-go's reflector style).

Each failure doubles the ceiling from ``initial`` up to ``maximum``; the wait is drawn
uniformly from [ceiling/2, ceiling] so that many watchers cut at once do not reconnect in
step. A server's ``Retry-After`` is a floor: the wait is never shorter than it asked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Waits between reconnection attempts; :meth:`reset` after a healthy period."""

    initial: float = 0.5
    maximum: float = 30.0
    failures: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def next(self, retry_after: float | None = None) -> float:
        """The seconds to wait before the next attempt; counts one more failure."""
        ceiling = min(self.maximum, self.initial * 2 ** self.failures)
        self.failures += 1
        wait = self._random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def reset(self) -> None:
        """Forget past failures."""
        self.failures = 0
