"""reconciler: Kubernetes controllers whose reconcile work scales out across many machines.

This module is the public surface; everything else is importable but internal. The testing kit
(``reconciler.testing``) stands beside it and is imported on purpose, never by the library.
"""

from reconciler.errors import (
    ConfigError,
    FencedError,
    InvalidDelayError,
    InvalidKeyError,
    QueueError,
    ReconcilerError,
    RedisUnavailableError,
)
from reconciler.queue import (
    CLIENT_GO_DEFAULT,
    KeyState,
    Lease,
    QueueStats,
    RateLimiter,
    TokenBucket,
    WorkQueue,
)
from reconciler.redisconn import connect as connect_redis

__all__ = [
    "CLIENT_GO_DEFAULT",
    "ConfigError",
    "FencedError",
    "InvalidDelayError",
    "InvalidKeyError",
    "KeyState",
    "Lease",
    "QueueError",
    "QueueStats",
    "RateLimiter",
    "ReconcilerError",
    "RedisUnavailableError",
    "TokenBucket",
    "WorkQueue",
    "connect_redis",
]
