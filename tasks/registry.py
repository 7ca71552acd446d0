"""The "something outside Kubernetes" of the example: a service registry kept in Redis.

Each WebApp is registered under its key with its URL while it exists; its finalizer removes
the entry before the WebApp may go. The registry is a Redis hash next to the work queues, so
the demo needs nothing else; a real controller would call DNS, a load balancer or a SaaS API.
"""

from __future__ import annotations

import functools
import os

from redis import Redis

from reconciler import redisconn


@functools.cache
def _client(url: str) -> Redis:
    return redisconn.connect(url, check=False)


def _where() -> tuple[Redis, str]:
    url = os.environ.get("REDIS_URL", redisconn.DEFAULT_URL)
    prefix = os.environ.get("RECONCILER_PREFIX", "reconciler")
    return _client(url), f"{prefix}:demo:registry"


def register(key: str, url: str) -> None:
    """Record ``key`` at ``url`` (idempotent)."""
    redis, name = _where()
    redis.hset(name, key, url)


def unregister(key: str) -> None:
    """Forget ``key`` (idempotent)."""
    redis, name = _where()
    redis.hdel(name, key)


def entries() -> dict[str, str]:
    """Everything registered."""
    redis, name = _where()
    return {str(k): str(v) for k, v in redis.hgetall(name).items()}
