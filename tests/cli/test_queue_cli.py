"""``reconciler queue`` prints a queue's backlog and a key's state as JSON, and names an
unreachable Redis without a traceback."""

from __future__ import annotations

import json

import pytest
from redis import Redis

from reconciler.cli import main
from reconciler.queue import WorkQueue
from reconciler.testing.redisserver import free_port


@pytest.mark.integration
def test_stats_and_inspect_print_json(
    real_redis: Redis, redis_url: str, key_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """stats counts a ready and a delayed key; inspect shows the delayed one."""
    queue = WorkQueue(real_redis, "cli", prefix=key_prefix)
    queue.add("ns/a")
    queue.add_after("ns/b", 60)
    base = ["queue", "--redis-url", redis_url, "--prefix", key_prefix]
    assert main([*base, "stats", "cli"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["ready"], stats["delayed"], stats["pending"]) == (1, 1, 2)
    assert main([*base, "inspect", "cli", "ns/b"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["delayed_until"] is not None and not state["ready"]


def test_unreachable_redis_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A dead Redis gives exit code 2 and an error naming the server, no traceback."""
    url = f"redis://:pw@127.0.0.1:{free_port()}/0"
    assert main(["queue", "--redis-url", url, "stats", "cli"]) == 2
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "Traceback" not in err and ":pw@" not in err
