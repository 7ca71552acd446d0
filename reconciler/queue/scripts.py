"""Load the queue's Lua scripts once and call them through typed wrappers.

Each operation is one ``.lua`` file in ``scripts/``; ``_common.lua`` (the key layout and the
shared helpers) is prepended to each, because Redis scripts cannot include one another. Sources
are read lazily and cached, so importing this module touches no file; each Redis client
registers a script once (``register_script`` sends EVALSHA and loads it on the first miss).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from redis import Redis
from redis.commands.core import Script

#: One file per atomic operation.
OPERATIONS: tuple[str, ...] = (
    "add",
    "add_rate_limited",
    "get",
    "done",
    "finish",
    "extend",
    "stats",
    "raise_fence",
)


@functools.cache
def source(operation: str) -> str:
    """The full source of ``operation``: ``_common.lua`` followed by the operation's file."""
    if operation not in OPERATIONS:
        raise KeyError(f"no queue script named {operation!r}")
    folder = resources.files("reconciler.queue") / "scripts"
    common = (folder / "_common.lua").read_text(encoding="utf-8")
    body = (folder / f"{operation}.lua").read_text(encoding="utf-8")
    return f"{common}\n{body}"


class ScriptSet:
    """The queue's scripts registered on one Redis client."""

    def __init__(self, redis: Redis) -> None:
        self._scripts: dict[str, Script] = {
            name: redis.register_script(source(name)) for name in OPERATIONS
        }

    def call(
        self, operation: str, keys: list[bytes], args: list[Any], client: Any = None
    ) -> Any:
        """Run ``operation`` atomically with ``keys`` and ``args``; returns the raw reply.
        ``client`` may be a pipeline, which queues the call instead."""
        return self._scripts[operation](keys=keys, args=args, client=client)
