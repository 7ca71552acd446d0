"""The distributed work queue: client-go semantics on Redis, one Lua script per operation."""

from reconciler.queue.ratelimit import CLIENT_GO_DEFAULT, RateLimiter, TokenBucket
from reconciler.queue.workqueue import KeyState, Lease, QueueStats, WorkQueue

__all__ = [
    "CLIENT_GO_DEFAULT",
    "KeyState",
    "Lease",
    "QueueStats",
    "RateLimiter",
    "TokenBucket",
    "WorkQueue",
]
