"""reconciler: Kubernetes controllers whose reconcile work scales out across many machines."""

from reconciler.errors import (
    ConfigError,
    FencedError,
    InvalidDelayError,
    InvalidKeyError,
    QueueError,
    ReconcilerError,
    RedisUnavailableError,
)

__all__ = [
    "ConfigError",
    "FencedError",
    "InvalidDelayError",
    "InvalidKeyError",
    "QueueError",
    "ReconcilerError",
    "RedisUnavailableError",
]
