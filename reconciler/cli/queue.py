"""``reconciler queue``: look at a controller's work queue from a shell.

``stats NAME`` prints the backlog (ready, delayed, leased, dirty, failing, expired leases) and
``inspect NAME KEY`` where one key stands, both as JSON for scripts and humans alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from typing import Any

from reconciler import redisconn
from reconciler.queue import WorkQueue


def register(subparsers: Any) -> None:
    """Add ``queue stats`` and ``queue inspect``."""
    parser = subparsers.add_parser("queue", help="inspect a controller's work queue")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", redisconn.DEFAULT_URL),
        help="Redis URL (default: $REDIS_URL or %(default)s)",
    )
    parser.add_argument("--prefix", default="reconciler", help="key prefix (default: %(default)s)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="the queue's backlog")
    stats.add_argument("name", help="the controller (queue) name")
    stats.set_defaults(func=run_stats)
    inspect = actions.add_parser("inspect", help="where one key stands")
    inspect.add_argument("name", help="the controller (queue) name")
    inspect.add_argument("key", help="the object key, namespace/name")
    inspect.set_defaults(func=run_inspect)


def _queue(args: argparse.Namespace) -> WorkQueue:
    return WorkQueue(redisconn.connect(args.redis_url), args.name, prefix=args.prefix)


def _print(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2, sort_keys=True))


def run_stats(args: argparse.Namespace) -> int:
    """Print the queue's stats as JSON."""
    stats = _queue(args).stats()
    _print({**dataclasses.asdict(stats), "pending": stats.pending})
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    """Print one key's state as JSON."""
    _print(dataclasses.asdict(_queue(args).inspect(args.key)))
    return 0
