"""Load the leader lock's Lua scripts (``scripts/*.lua``) once per Redis client.

One file per atomic operation, each with a header stating its KEYS, ARGV and the layout of
the keys it touches; sources are read lazily so importing this module touches no file.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from redis import Redis
from redis.commands.core import Script

OPERATIONS: tuple[str, ...] = ("acquire", "renew", "release")


@functools.cache
def source(operation: str) -> str:
    """The source of ``operation``'s script."""
    if operation not in OPERATIONS:
        raise KeyError(f"no leader script named {operation!r}")
    folder = resources.files("reconciler.leader") / "scripts"
    return (folder / f"{operation}.lua").read_text(encoding="utf-8")


class ScriptSet:
    """The leader scripts registered on one Redis client."""

    def __init__(self, redis: Redis) -> None:
        self._scripts: dict[str, Script] = {
            name: redis.register_script(source(name)) for name in OPERATIONS
        }

    def call(self, operation: str, keys: list[str], args: list[Any]) -> Any:
        """Run ``operation`` atomically; returns the raw reply."""
        return self._scripts[operation](keys=keys, args=args)
