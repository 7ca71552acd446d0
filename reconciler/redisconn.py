"""Connecting to Redis, and saying clearly when it cannot be reached.

URLs follow redis-py: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` for TLS
(with ``ssl_cert_reqs``, ``ssl_ca_certs`` … as query parameters) and ``unix:///path.sock``.
Passwords never reach a log or an error message: every description goes through
:func:`redact`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis as redis_lib
from redis import Redis

from reconciler import errors

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def describe(client: Redis) -> str:
    """Where ``client`` connects, for error messages: ``host:port/db`` or the socket path."""
    kwargs: dict[str, Any] = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    tls = "SSL" in client.connection_pool.connection_class.__name__ or any(
        key.startswith("ssl") for key in kwargs
    )
    scheme = "rediss" if tls else "redis"
    return f"{scheme}://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


@contextlib.contextmanager
def unavailable_as_error(client: Redis) -> Iterator[None]:
    """Turn redis-py's connection and timeout errors into :class:`RedisUnavailableError`."""
    try:
        yield
    except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
        raise errors.RedisUnavailableError(
            f"Redis at {describe(client)} cannot be reached: {exc}"
        ) from exc
    except redis_lib.AuthenticationError as exc:  # pragma: no cover - subclass of above today
        raise errors.RedisUnavailableError(
            f"Redis at {describe(client)} refused the credentials"
        ) from exc


def connect(
    url: str = DEFAULT_URL,
    *,
    check: bool = True,
    socket_timeout: float = 10.0,
    **options: Any,
) -> Redis:
    """A client for ``url`` that decodes replies to ``str``; pings it first unless ``check`` is
    false. Raises :class:`~reconciler.errors.ConfigError` for a malformed URL and
    :class:`~reconciler.errors.RedisUnavailableError` when nothing answers."""
    try:
        client: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout,
            socket_connect_timeout=min(socket_timeout, 5.0),
            health_check_interval=30,
            **options,
        )
    except ValueError as exc:
        raise errors.ConfigError(f"invalid Redis URL {redact(url)!r}: {exc}") from exc
    if check:
        try:
            with unavailable_as_error(client):
                client.ping()
        except errors.RedisUnavailableError as exc:
            client.close()
            raise errors.RedisUnavailableError(
                f"Redis at {redact(url)} cannot be reached: {exc.__cause__}"
            ) from exc.__cause__
        except redis_lib.ResponseError as exc:
            client.close()
            raise errors.RedisUnavailableError(
                f"Redis at {redact(url)} refused the connection: {exc}"
            ) from exc
    return client
