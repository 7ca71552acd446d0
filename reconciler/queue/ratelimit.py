"""How long a failing key waits before its next try.

client-go's default controller rate limiter is the longer of two: a per-key exponential
backoff (5 ms doubling to 1000 s) and an overall token bucket (10 qps, burst 100). Here the
per-key part is always on and the bucket is optional, because the bucket is global to the queue
and a cluster-wide 10 qps would throttle a large fleet of workers. The numbers are only
configuration: the arithmetic runs atomically in ``add_rate_limited.lua`` against the per-key
failure counts and the bucket kept in Redis, so every worker shares them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reconciler import errors


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise errors.ConfigError(f"{name} must be a positive finite number, got {value!r}")


@dataclass(frozen=True)
class TokenBucket:
    """An overall limit shared by every key of a queue: ``qps`` per second, ``burst`` at once."""

    qps: float = 10.0
    burst: int = 100

    def __post_init__(self) -> None:
        _check_positive("TokenBucket.qps", self.qps)
        if not (isinstance(self.burst, int) and self.burst >= 1):
            raise errors.ConfigError(
                f"TokenBucket.burst must be an integer >= 1, got {self.burst!r}"
            )


@dataclass(frozen=True)
class RateLimiter:
    """Per-key exponential backoff, ``base_delay * 2**(failures - 1)`` capped at ``max_delay``,
    combined with an optional :class:`TokenBucket` by taking the longer delay. Seconds."""

    base_delay: float = 0.005
    max_delay: float = 1000.0
    bucket: TokenBucket | None = None

    def __post_init__(self) -> None:
        _check_positive("RateLimiter.base_delay", self.base_delay)
        _check_positive("RateLimiter.max_delay", self.max_delay)
        if self.max_delay < self.base_delay:
            raise errors.ConfigError(
                f"RateLimiter.max_delay ({self.max_delay}) is shorter than "
                f"base_delay ({self.base_delay})"
            )

    def script_args(self) -> list[float | int]:
        """The limiter as ``add_rate_limited.lua`` takes it: base ms, max ms, qps, burst."""
        qps, burst = (self.bucket.qps, self.bucket.burst) if self.bucket else (0, 0)
        return [self.base_delay * 1000, self.max_delay * 1000, qps, burst]


#: client-go's ``DefaultControllerRateLimiter`` in full: exponential plus the 10 qps bucket.
CLIENT_GO_DEFAULT = RateLimiter(bucket=TokenBucket())
