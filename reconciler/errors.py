"""Every error the library raises, under one root.

Catch :class:`ReconcilerError` to catch them all; catch a branch to handle one domain. Each
error also derives from the builtin a caller would naturally expect (``ValueError`` for bad
input, ``ConnectionError`` for an unreachable server), so generic handlers keep working::

    ReconcilerError
    ├── ConfigError                 a bad setting, named with where it came from
    ├── RedisUnavailableError       Redis cannot be reached (also ConnectionError)
    └── QueueError                  the work queue
        ├── InvalidKeyError         empty, non-string or control characters (also ValueError)
        ├── InvalidDelayError       negative, NaN or infinite delay (also ValueError)
        └── FencedError             a write carried an epoch older than the queue's fence

Client errors are wrapped with ``raise ... from`` so the original stays on ``__cause__``.
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """The root of every error this library raises."""


class ConfigError(ReconcilerError, ValueError):
    """A setting is invalid; the message names the setting and the offending value."""


class RedisUnavailableError(ReconcilerError, ConnectionError):
    """Redis could not be reached; the message names the server (never its password)."""


class QueueError(ReconcilerError):
    """A work-queue operation was refused."""


class InvalidKeyError(QueueError, ValueError):
    """A queue key is not a non-empty string free of control characters."""


class InvalidDelayError(QueueError, ValueError):
    """A delay is negative, NaN or infinite."""


class FencedError(QueueError):
    """A write carried a leader epoch older than the queue's fence: its writer was deposed."""
