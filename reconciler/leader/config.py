"""Leader-election timings, checked once so an impossible combination never starts.

The defaults and the rules are controller-runtime's (client-go ``leaderelection``): the lease
(the lock's TTL) outlives the renew deadline, and the renew deadline leaves room for more than
one retry, so a healthy leader renews several times before anyone else may take over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reconciler import errors

#: client-go's JitterFactor: a standby waits ``retry_period * (1 + uniform(0, JITTER))``.
JITTER = 1.2


@dataclass(frozen=True)
class LeaderConfig:
    """How long a term lasts without renewal, when the leader gives up, and how often to try."""

    lease_duration: float = 15.0
    """Seconds the lock lives after its last renewal; a standby takes over after at most this."""
    renew_deadline: float = 10.0
    """Seconds a leader keeps trying to renew before it stops leading (and exits)."""
    retry_period: float = 2.0
    """Seconds between renewals, and between a standby's attempts to acquire."""

    def __post_init__(self) -> None:
        for field in ("lease_duration", "renew_deadline", "retry_period"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not 0 < value < math.inf:
                raise errors.ConfigError(
                    f"leader election: {field} must be a positive finite number of seconds, "
                    f"got {value!r}"
                )
        if self.lease_duration <= self.renew_deadline:
            raise errors.ConfigError(
                f"leader election: lease_duration ({self.lease_duration}s) must be greater than "
                f"renew_deadline ({self.renew_deadline}s), or a standby could take over while "
                f"the leader still believes it leads"
            )
        if self.renew_deadline <= JITTER * self.retry_period:
            raise errors.ConfigError(
                f"leader election: renew_deadline ({self.renew_deadline}s) must be greater than "
                f"{JITTER} x retry_period ({self.retry_period}s), or a single slow renewal "
                f"would end the term"
            )
        if self.lease_duration < 0.01:
            raise errors.ConfigError(
                f"leader election: lease_duration must be at least 0.01s (Redis TTLs are in "
                f"ms), got {self.lease_duration}s"
            )

    @property
    def lease_ms(self) -> int:
        """The lock's TTL in milliseconds."""
        return max(1, round(self.lease_duration * 1000))
